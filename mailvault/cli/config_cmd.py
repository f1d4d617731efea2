"""`mailvault config init | validate | show`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import GLOBALS, JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, stdout
from mailvault.config.where import config_path
from mailvault.errors import ConfigError

app = typer.Typer(help="Write, check and show the configuration.", no_args_is_help=True)


@app.command("init")
def init(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write it; '-' for stdout.")] = None,
) -> None:
    """Write a commented sample config (never over an existing file)."""
    from mailvault.config.sample import sample_config

    text = sample_config()
    if out is not None and str(out) == "-":
        sys.stdout.write(text)
        return
    target = out or config_path(GLOBALS.config)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(
            f"{target} already exists; it is never overwritten",
            hint="edit it, or write the sample elsewhere with --out",
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(
        f"wrote a sample config to {target} (mode 0600); edit it, then run `mailvault config validate`", file=sys.stderr
    )


@app.command("validate")
def validate(
    file: Annotated[Path | None, typer.Argument(help="Config file (default: the one in use).")] = None,
    json: JsonOpt = False,
) -> None:
    """List every problem in the config as path.to.key: message."""
    wants_json(json)
    from mailvault.actions.host_checks import host_problems
    from mailvault.config.load import problems, read_toml

    path = file or config_path(GLOBALS.config)
    found = problems(read_toml(path))
    if not found:
        current = GLOBALS.config
        GLOBALS.config = path
        try:
            # the file's own mode when it holds secrets; then what it names on this host
            found = host_problems(current_config())
        finally:
            GLOBALS.config = current
    if json:
        emit_json({"ok": not found, "file": str(path), "problems": found})
    else:
        for line in found:
            print(line)
        if not found:
            print(f"{path}: valid")
    if found:
        raise typer.Exit(2)


@app.command("show")
def show(json: JsonOpt = False) -> None:
    """Print the effective config (defaults filled in, secrets masked)."""
    wants_json(json)
    data = current_config().model_dump(mode="json", exclude_none=True)
    if json:
        emit_json(data)
        return
    _print_toml(data, "")


def _print_toml(data: dict[str, object], prefix: str) -> None:
    from mailvault.config.sample import toml_value

    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            stdout.print(f"{key} = {toml_value(value)}")
    for key, value in tables.items():
        name = f"{prefix}{key}"
        stdout.print(f"\n[{name}]")
        assert isinstance(value, dict)
        _print_toml(value, name + ".")
