"""`mailvault keys ...`: the repository password's life cycle."""

from __future__ import annotations

import typer

from mailvault.cli.context import DryRunOpt, JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, key_values

app = typer.Typer(help="The repository password (restic keys).", no_args_is_help=True)


@app.command()
def rotate(json: JsonOpt = False, dry_run: DryRunOpt = False) -> None:
    """Add a new key, switch the password file atomically, remove the old key; resumes an interrupted rotation."""
    wants_json(json)
    from mailvault.actions import keys

    result = keys.rotate(current_config(), dry_run=dry_run)
    if json:
        emit_json({"ok": True, **result.as_dict(), "kit_export_needed": not dry_run})
        return
    key_values(
        "keys rotate" + (" (dry run)" if dry_run else ": done" + (" (resumed)" if result.resumed else "")),
        [
            ("password file", result.password_file),
            ("old key", (result.old_key or "-")[:8] + (" (would be removed)" if dry_run else " removed")),
            ("new key", result.new_key[:8]),
            ("keys in repository", str(result.keys_now)),
            ("next", "export a new recovery kit now: mailvault kit export --out FILE"),
        ],
    )
