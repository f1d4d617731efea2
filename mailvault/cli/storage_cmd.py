"""`mailvault storage ...`: the offsite bucket's defences."""

from __future__ import annotations

import typer

from mailvault.cli.context import JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, key_values

app = typer.Typer(help="The S3 bucket: versioning, Object Lock, retention.", no_args_is_help=True)


@app.command()
def check(json: JsonOpt = False) -> None:
    """Report versioning, Object Lock and default retention on the bucket, and what is missing."""
    wants_json(json)
    from mailvault.actions import storage

    report = storage.check(current_config())
    if json:
        emit_json({"ok": True, **report.as_dict()})
        return
    p = report.protection
    retention = f"{p.retention_mode} {p.retention_days} days" if p.retention_days else "none"
    key_values(
        f"storage {report.repository}: " + ("protected" if p.protected else "NOT protected against deletion"),
        [
            ("versioning", p.versioning),
            ("object lock", p.object_lock),
            ("default retention", retention),
            ("prune credentials", "separate" if report.separate_prune_credentials else "same as nightly"),
            *[("finding", line) for line in report.findings],
        ],
    )
