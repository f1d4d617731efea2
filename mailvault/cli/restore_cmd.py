"""`mailvault restore`: mail, config files or keys from a snapshot into a new or empty directory."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailvault.cli.context import DryRunOpt, JsonOpt, KitOpt, KitPassphraseOpt, current_config, use_kit, wants_json
from mailvault.cli.output import emit_json, human_bytes, key_values, stdout

if TYPE_CHECKING:
    from mailvault.actions.restore import RestoreResult, Selection
    from mailvault.config.schema import Config


def parse_day(text: str, *, end: bool = False) -> datetime:
    """``2026-01-31`` (local time; with ``end``, the end of that day) or a full ISO date and time.

    >>> parse_day("2026-01-31", end=True).isoformat()[:19]
    '2026-01-31T23:59:59'
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if end and len(text) == 10:
        value += timedelta(days=1) - timedelta(microseconds=1)
    return value if value.tzinfo else value.astimezone()


def restore(
    snapshot: Annotated[str, typer.Argument(help="Snapshot id (or a unique prefix), or 'latest'.")] = "latest",
    target: Annotated[Path | None, typer.Option("--target", help="A new or empty directory.")] = None,
    original_paths: Annotated[
        bool,
        typer.Option("--original-paths", help="Restore to where it was (bare machine: those paths must be empty)."),
    ] = False,
    mailbox: Annotated[list[str] | None, typer.Option("--mailbox", help="user@domain; repeatable.")] = None,
    folder: Annotated[list[str] | None, typer.Option("--folder", help="Folder name; repeatable.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only messages dated on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only messages dated on or before (YYYY-MM-DD).")] = None,
    config_files: Annotated[
        bool, typer.Option("--config-files", help="The mail server's config (sources.config).")
    ] = False,
    keys: Annotated[bool, typer.Option("--keys", help="DKIM/TLS keys (sources.keys).")] = False,
    everything: Annotated[bool, typer.Option("--all", help="All mail, the config files and the keys.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Read every restored file back and check it.")] = False,
    into_imap: Annotated[
        str | None,
        typer.Option("--into-imap", help="Put the messages back into this live mailbox, under Restored/<date>/."),
    ] = None,
    json: JsonOpt = False,
    dry_run: DryRunOpt = False,
    kit: KitOpt = None,
    kit_passphrase_file: KitPassphraseOpt = None,
) -> None:
    """Restore mail (all, or --mailbox/--folder/--since/--until), --config-files or --keys into --target."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions import restore as restore_action
    from mailvault.cli.progress import restic_progress

    if into_imap is None and (target is None) == (not original_paths):
        raise typer.BadParameter("give --target DIR (new or empty) or --original-paths", param_hint="--target")
    selection = restore_action.Selection(
        mailboxes=list(mailbox or []),
        folders=list(folder or []),
        since=parse_day(since) if since else None,
        until=parse_day(until, end=True) if until else None,
        config_files=config_files or everything,
        keys=keys or everything,
        all_mail=everything,
    )
    config = current_config()
    if into_imap is not None:
        _into_imap(config, snapshot, into_imap, selection, json=json, dry_run=dry_run)
        return
    with restic_progress("restore", enabled=not json) as show:
        result = restore_action.restore(
            config, snapshot, target, selection, verify=verify, dry_run=dry_run, progress=show
        )
    if json:
        emit_json({"ok": not result.mismatches, **result.as_dict()})
    else:
        _show(result, dry_run=dry_run)
    if result.mismatches:
        raise typer.Exit(1)


def _into_imap(config: Config, snapshot: str, account: str, selection: Selection, *, json: bool, dry_run: bool) -> None:
    from mailvault.actions.restore_imap import restore_into_imap
    from mailvault.cli.progress import restic_progress

    with restic_progress("restore", enabled=not json) as show:
        done = restore_into_imap(config, snapshot, account, selection, dry_run=dry_run, progress=show)
    if json:
        emit_json({"ok": True, **done.as_dict()})
        return
    verb = "would put back" if dry_run else "put back"
    key_values(
        f"{verb} {done.messages} messages of snapshot {done.snapshot_id[:8]} into {done.account}",
        [("folder", name) for name in done.folders],
    )


def _show(result: RestoreResult, *, dry_run: bool) -> None:
    verb = "would restore" if dry_run else "restored"
    dated = [("outside the dates", f"{result.removed_by_date} messages left out")] if result.removed_by_date else []
    key_values(
        f"{verb} snapshot {result.snapshot_id[:8]} of {result.snapshot_time} into {result.target}",
        [
            (
                "mail",
                f"{len(result.mailboxes)} mailboxes, {result.folders} folders, {result.messages} messages"
                f" ({human_bytes(result.bytes)})",
            ),
            *dated,
            *[("also", p) for p in result.extra_paths],
            ("paths", "where they were" if result.target == "/" else f"as they were, below {result.target}"),
            *[("MISMATCH", m) for m in result.mismatches],
        ],
    )
    if dry_run:
        for name in result.folder_names:
            stdout.print(f"  {name}")
