"""Options shared by every command, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from mailvault.config.load import config_path, load_config
from mailvault.config.schema import Config

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")]


@dataclass
class Globals:
    config: Path | None = None
    json: bool = False


GLOBALS = Globals()


def wants_json(flag: bool) -> bool:
    """Record that this command answers in JSON (errors then come as JSON too)."""
    GLOBALS.json = flag
    return flag


def current_config() -> Config:
    return load_config(config_path(GLOBALS.config))
