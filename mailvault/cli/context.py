"""Options shared by every command, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailvault.config.where import config_path

if TYPE_CHECKING:
    from mailvault.config.schema import Config

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
KitOpt = Annotated[
    Path | None,
    typer.Option("--kit", help="Open the repository with this recovery kit instead of the config (bare machine)."),
]
KitPassphraseOpt = Annotated[
    Path | None,
    typer.Option("--kit-passphrase-file", help="File holding the kit's passphrase (else you are asked on a terminal)."),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")]


@dataclass
class Globals:
    config: Path | None = None
    json: bool = False
    kit: Path | None = None
    kit_passphrase_file: Path | None = None


GLOBALS = Globals()


def wants_json(flag: bool) -> bool:
    """Record that this command answers in JSON (errors then come as JSON too)."""
    GLOBALS.json = flag
    return flag


def use_kit(kit: Path | None, passphrase_file: Path | None) -> None:
    """A command's own --kit/--kit-passphrase-file, which win over the global ones."""
    if kit is not None:
        GLOBALS.kit = kit
    if passphrase_file is not None:
        GLOBALS.kit_passphrase_file = passphrase_file


def current_config() -> Config:
    """The config file's config, or with --kit the one the kit carries (its secrets in memory only)."""
    if GLOBALS.kit is not None:
        from mailvault.actions.kit import open_kit
        from mailvault.cli.passphrase import read_passphrase

        passphrase = read_passphrase(GLOBALS.kit_passphrase_file, confirm=False)
        return open_kit(GLOBALS.kit, passphrase).to_config()
    from mailvault.config.load import load_config  # pydantic and the schema: only for commands that read it

    return load_config(config_path(GLOBALS.config))
