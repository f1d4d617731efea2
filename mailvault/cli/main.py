"""The `mailvault` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mailvault import __version__
from mailvault.cli import (
    config_cmd,
    demo_cmd,
    dns_cmd,
    drill_cmd,
    keys_cmd,
    kit_cmd,
    migrate_cmd,
    monitor_cmds,
    repo_cmds,
    restore_cmd,
    schedule_cmd,
    storage_cmd,
)
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
    kit: Annotated[
        Path | None,
        typer.Option("--kit", help="Open the repository with this recovery kit instead of the config (bare machine)."),
    ] = None,
    kit_passphrase_file: Annotated[
        Path | None, typer.Option("--kit-passphrase-file", help="File holding the kit's passphrase.")
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail on stderr.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    GLOBALS.config = config
    GLOBALS.kit, GLOBALS.kit_passphrase_file = kit, kit_passphrase_file
    setup_logging(verbose, quiet)


repo_cmds.register(app)
app.command()(restore_cmd.restore)
app.command("restore-test")(drill_cmd.restore_test)
app.add_typer(drill_cmd.app, name="drill")
app.add_typer(config_cmd.app, name="config")
app.add_typer(dns_cmd.app, name="dns")
app.add_typer(kit_cmd.app, name="kit")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(storage_cmd.app, name="storage")
app.command()(monitor_cmds.status)
app.add_typer(monitor_cmds.metrics_app, name="metrics")
app.add_typer(monitor_cmds.alerts_app, name="alerts")
app.add_typer(schedule_cmd.app, name="schedule")
app.add_typer(migrate_cmd.app, name="migrate")
demo_cmd.register(app)


def run() -> None:
    """Console-script entry point."""
    sys.exit(guarded(app))
