"""The `mailvault` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from mailvault import __version__
from mailvault.cli.context import GLOBALS
from mailvault.cli.edge import guarded
from mailvault.cli.output import setup_logging
from mailvault.runtime import quick_exit

app = typer.Typer(
    name="mailvault",
    help="Backups, verified restores and safe provider moves for a self-hosted mail server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain text: "[source]" is a TOML table, not markup
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
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            metavar="",
            show_default=False,
            help="Debug detail on stderr (a flag: it takes no value).",
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    GLOBALS.config = config
    GLOBALS.kit, GLOBALS.kit_passphrase_file = kit, kit_passphrase_file
    setup_logging(verbose, quiet)


def _add(module: str, name: str, attribute: str = "app") -> Callable[[typer.Typer], None]:
    def register(target: typer.Typer) -> None:
        target.add_typer(getattr(import_module(f"mailvault.cli.{module}"), attribute), name=name)

    return register


def _command(module: str, function: str, name: str | None = None) -> Callable[[typer.Typer], None]:
    def register(target: typer.Typer) -> None:
        target.command(name)(getattr(import_module(f"mailvault.cli.{module}"), function))

    return register


def _repo(target: typer.Typer) -> None:
    import_module("mailvault.cli.repo_cmds").register(target)


# Each top-level command and how to register it. A command imports its module (and what that module
# imports) only when it runs, so `mailvault migrate sync` does not pay for restic's or the drill's code.
COMMANDS: dict[str, Callable[[typer.Typer], None]] = {
    **dict.fromkeys(("init", "backup", "snapshots", "prune", "check", "history"), _repo),
    "restore": _command("restore_cmd", "restore"),
    "restore-test": _command("drill_cmd", "restore_test", "restore-test"),
    "drill": _add("drill_cmd", "drill"),
    "config": _add("config_cmd", "config"),
    "dns": _add("dns_cmd", "dns"),
    "kit": _add("kit_cmd", "kit"),
    "keys": _add("keys_cmd", "keys"),
    "storage": _add("storage_cmd", "storage"),
    "status": _command("monitor_cmds", "status"),
    "report": _command("monitor_cmds", "report"),
    "fleet": _add("fleet_cmd", "fleet"),
    "setup": _add("setup_cmd", "setup"),
    "metrics": _add("monitor_cmds", "metrics", "metrics_app"),
    "alerts": _add("monitor_cmds", "alerts", "alerts_app"),
    "schedule": _add("schedule_cmd", "schedule"),
    "migrate": _add("migrate_cmd", "migrate"),
    "demo": _command("demo_cmd", "demo"),
}
_registered: list[Callable[[typer.Typer], None]] = []


def register(names: list[str] | None = None) -> typer.Typer:
    """Register ``names`` (every command when None) on :data:`app`, each once; return the app."""
    for name in names if names is not None else list(COMMANDS):
        add = COMMANDS[name]
        if add not in _registered:
            add(app)
            _registered.append(add)
    return app


_VALUED = {"--config", "-c", "--kit", "--kit-passphrase-file"}


def invoked(argv: list[str]) -> str | None:
    """The top-level command named in ``argv`` (global options skipped), or None.

    >>> invoked(["-c", "/etc/mv.toml", "-v", "migrate", "sync", "a.toml"])
    'migrate'
    """
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def run() -> None:
    """Console-script entry point: only the invoked command is registered (all of them for help, or
    when none is recognised, so that typer can list them or say what is wrong)."""
    name = invoked(sys.argv[1:])
    register([name] if name else None)
    quick_exit(guarded(app))
