"""The `mailvault` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mailvault import __version__
from mailvault.cli import config_cmd, demo_cmd, repo_cmds
from mailvault.cli.context import GLOBALS
from mailvault.cli.edge import guarded
from mailvault.cli.output import setup_logging

app = typer.Typer(
    name="mailvault",
    help="Backups, verified restores and safe provider moves for a self-hosted mail server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"mailvault {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config file (default: $MAILVAULT_CONFIG or /etc/mailvault/mailvault.toml)."
        ),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail on stderr.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    GLOBALS.config = config
    setup_logging(verbose, quiet)


repo_cmds.register(app)
app.add_typer(config_cmd.app, name="config")
demo_cmd.register(app)


def run() -> None:
    """Console-script entry point."""
    sys.exit(guarded(app))
