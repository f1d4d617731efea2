"""Commands that work on the repository: init, backup, snapshots, prune, check, history."""

from __future__ import annotations

from typing import Annotated

import typer

from mailvault.cli.context import DryRunOpt, JsonOpt, KitOpt, KitPassphraseOpt, current_config, use_kit, wants_json
from mailvault.cli.output import emit_json, human_bytes, key_values, stdout, table
from mailvault.cli.progress import restic_progress


def init(
    json: JsonOpt = False,
    dry_run: DryRunOpt = False,
    versioning: Annotated[bool, typer.Option("--versioning", help="Turn on S3 bucket versioning.")] = False,
    object_lock_days: Annotated[
        int | None,
        typer.Option(
            "--object-lock-days", min=1, help="S3 Object Lock with this default retention (implies versioning)."
        ),
    ] = None,
    object_lock_mode: Annotated[
        str, typer.Option("--object-lock-mode", help="GOVERNANCE (admins may bypass) or COMPLIANCE (nobody may).")
    ] = "GOVERNANCE",
) -> None:
    """Create the bucket (when missing and allowed), the password file and the restic repository."""
    wants_json(json)
    from mailvault.actions import init as init_action  # imports boto3: only where needed

    mode = object_lock_mode.upper()
    if mode not in ("GOVERNANCE", "COMPLIANCE"):
        raise typer.BadParameter("GOVERNANCE or COMPLIANCE", param_hint="--object-lock-mode")
    result = init_action.init(
        current_config(),
        dry_run=dry_run,
        versioning=versioning,
        lock_days=object_lock_days,
        lock_mode="COMPLIANCE" if mode == "COMPLIANCE" else "GOVERNANCE",
    )
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    key_values(
        f"repository {result.repository}" + (" (dry run)" if dry_run else ""),
        [
            ("bucket", _outcome(result.bucket_created, dry_run, "created", "already there, or not S3")),
            ("password file", _outcome(result.password_generated, dry_run, "generated (mode 0600)", "already there")),
            ("repository", _outcome(result.repository_created, dry_run, "created", "already there, left as it is")),
            *[("bucket protection", line) for line in result.protection],
        ],
    )


def _outcome(done: bool, dry_run: bool, verb: str, otherwise: str) -> str:
    """``created`` / ``would be created`` / what is the case when nothing was to be done."""
    if not done:
        return otherwise
    return f"would be {verb}" if dry_run else verb


def backup(
    json: JsonOpt = False, dry_run: DryRunOpt = False, kit: KitOpt = None, kit_passphrase_file: KitPassphraseOpt = None
) -> None:
    """Scan the mail store into a manifest and back it up with config and keys."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions import backup as backup_action

    config = current_config()
    with restic_progress("backup") as show:
        result = backup_action.backup(config, progress=show, dry_run=dry_run)
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    m = result.manifest
    key_values(
        f"backup {'(dry run) ' if dry_run else ''}done: snapshot {result.snapshot_id or '-'}",
        [
            ("mail", f"{m.mailboxes} mailboxes, {m.folders} folders, {m.messages} messages, {human_bytes(m.bytes)}"),
            ("files", f"{result.files_new} new, {result.files_changed} changed, {result.files_unmodified} unchanged"),
            ("added", human_bytes(result.bytes_added)),
            ("duration", f"{result.duration_s:.1f} s"),
            *([("during the run", result.churn.text())] if result.churn.any() else []),
            *([("stale locks", f"{result.stale_locks_cleared} cleared")] if result.stale_locks_cleared else []),
        ],
    )


def snapshots(json: JsonOpt = False, kit: KitOpt = None, kit_passphrase_file: KitPassphraseOpt = None) -> None:
    """List mailvault's snapshots with their manifest totals."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions import snapshots as snapshots_action

    rows = snapshots_action.snapshots(current_config())
    if json:
        emit_json([r.as_dict() for r in rows])
        return
    table(
        "snapshots",
        ["time", "id", "host", "mailboxes", "messages", "bytes", "state"],
        [
            [
                r.time,
                r.short_id,
                r.hostname,
                str(r.mailboxes or "-"),
                str(r.messages or "-"),
                human_bytes(r.bytes),
                r.state,
            ]
            for r in rows
        ],
    )


def prune(
    json: JsonOpt = False, dry_run: DryRunOpt = False, kit: KitOpt = None, kit_passphrase_file: KitPassphraseOpt = None
) -> None:
    """Forget snapshots outside the retention policy and free their space."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions import prune as prune_action

    result = prune_action.prune(current_config(), dry_run=dry_run)
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    verb = "would remove" if dry_run else "removed"
    stdout.print(
        f"prune: kept {result.kept} snapshots, {verb} {result.removed}"
        + (f" ({', '.join(result.removed_ids)})" if result.removed_ids else "")
    )


def check(json: JsonOpt = False, kit: KitOpt = None, kit_passphrase_file: KitPassphraseOpt = None) -> None:
    """Check the repository's structure and read the next rotating subset of its data."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions import check as check_action

    result = check_action.check(current_config())
    if json:
        emit_json({"ok": True, **result.as_dict()})
        return
    stdout.print(
        f"check passed: structure sound, data subset {result.subset} read "
        f"(all data is read every {result.full_read_every} checks)"
    )


def history(
    kind: Annotated[
        str | None, typer.Option(help="Only runs of this kind: backup, check, prune, drill, keys-rotate.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only runs started since: a date (2026-11-01) or an age (7d, 12h).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 20,
    json: JsonOpt = False,
) -> None:
    """List recent runs from the state database, newest first."""
    wants_json(json)
    from mailvault.actions.history import history as history_action
    from mailvault.actions.history import parse_since

    runs = history_action(current_config(), kind, limit, since=parse_since(since) if since else None)
    if json:
        emit_json([r.__dict__ for r in runs])
        return
    table(
        "runs",
        ["id", "kind", "started", "status", "error"],
        [[str(r.id), r.kind, r.started, r.status, r.error or ""] for r in runs],
    )


def register(app: typer.Typer) -> None:
    for command in (init, backup, snapshots, prune, check, history):
        app.command()(command)
