"""`mailvault kit ...`: export, verify, show and judge the offline recovery kit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import GLOBALS, JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, key_values, stdout
from mailvault.cli.passphrase import read_passphrase

app = typer.Typer(
    help="The offline recovery kit: what a bare machine needs to open the repository.", no_args_is_help=True
)

PassphraseOpt = Annotated[
    Path | None, typer.Option("--passphrase-file", help="File holding the passphrase (else asked on a terminal).")
]
KitFile = Annotated[Path, typer.Argument(help="The kit file (binary or armored).")]


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write the kit (mode 0600).")],
    passphrase_file: PassphraseOpt = None,
    armor: Annotated[bool, typer.Option("--armor", help="Printable text with a checksum per line.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file at --out.")] = False,
    json: JsonOpt = False,
) -> None:
    """Seal the repository URL, password, S3 credentials and this config under a passphrase."""
    wants_json(json)
    from mailvault.actions import kit
    from mailvault.config.load import config_path

    config = current_config()
    passphrase = read_passphrase(passphrase_file, confirm=True)
    result = kit.export(config, config_path(GLOBALS.config), out, passphrase, armored=armor, force=force)
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    key_values(
        f"recovery kit written: {result.path}",
        [
            ("form", "armored text, fit to print" if result.armored else "binary"),
            ("size", f"{result.bytes} bytes"),
            ("repository", result.repository),
            ("next", f"mailvault kit verify {result.path}; keep copies offline, apart from the mail host"),
        ],
    )


@app.command()
def verify(path: KitFile, passphrase_file: PassphraseOpt = None, json: JsonOpt = False) -> None:
    """Open the kit and prove it opens the real repository (reads its config, lists snapshots)."""
    wants_json(json)
    from mailvault.actions import kit

    result = kit.verify(path, read_passphrase(passphrase_file, confirm=False))
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    key_values(
        f"kit verified: it opens {result.repository}",
        [
            ("repository id", result.repository_id),
            ("snapshots", f"{result.snapshots}, latest {result.latest or '-'}"),
            ("kit exported", result.kit_created),
        ],
    )


@app.command()
def show(path: KitFile, passphrase_file: PassphraseOpt = None, json: JsonOpt = False) -> None:
    """Print what the kit holds, secrets masked."""
    wants_json(json)
    from mailvault.actions import kit

    view = kit.masked_view(kit.open_kit(path, read_passphrase(passphrase_file, confirm=False)))
    if json:
        emit_json(view)
        return
    key_values(f"recovery kit {path}", [(k, "-" if v is None else str(v)) for k, v in view.items()])


@app.command()
def status(json: JsonOpt = False) -> None:
    """Whether the last exported kit still holds today's password and credentials (exit 1 when not)."""
    wants_json(json)
    from mailvault.actions import kit

    config = current_config()
    fresh = kit.status(config.repository, config.state.dir)
    if json:
        emit_json({"ok": fresh.ok, "state": fresh.state, "exported_at": fresh.exported_at, "path": fresh.path})
    else:
        stdout.print(("OK: " if fresh.ok else "WARNING: ") + fresh.message)
    if not fresh.ok:
        raise typer.Exit(1)
