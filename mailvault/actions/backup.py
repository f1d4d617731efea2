"""`mailvault backup`: hooks, the manifest scan, restic backup to the repository, the run record.

One run at a time per host; stale restic locks left on this host by dead
processes are cleared; an unreadable message fails the run and is listed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mailvault import execute
from mailvault.actions import records as engine_records
from mailvault.actions import repo_stats
from mailvault.actions.after_job import after_job
from mailvault.actions.dovecot_mailboxes import dovecot_mailboxes
from mailvault.actions.engine import Engine
from mailvault.actions.fs_snapshot import View, consistent_view
from mailvault.actions.hooks import run_hooks
from mailvault.actions.restic_gate import Gate
from mailvault.config.schema import DOVECOT_LAYOUT, Config
from mailvault.errors import (
    BackupIncomplete,
    BackupPartial,
    CommandFailed,
    LockedError,
    MailvaultError,
    RepositoryLocked,
    SourceError,
)
from mailvault.mail import hash_index, message_files, reconcile, scan_cache
from mailvault.mail.manifest import ScannedFolder, ScanResult, complete, scan
from mailvault.mail.manifest_model import COMPLETE, INCOMPLETE, PARTIAL, SCANNED, SUPERSEDED, Churn, Manifest, Totals
from mailvault.monitor.job import job_run
from mailvault.preload import preload
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.state.run import Run
from mailvault.tools import btrfs, restic
from mailvault.tools.maildir_excludes import dovecot_excludes
from mailvault.tools.restic_output import ItemError, Lock, ResticProgress, SavedFiles, Summary, parse_backup_line

logger = logging.getLogger(__name__)

ProgressSink = Callable[[ResticProgress], None]
CURSOR_KEY = "manifest.sample_cursor"
# Passes after the first when restic's walk missed messages that moved while it read their folder.
CATCH_UP_PASSES = 2
# Snapshots restic made whose reconciliation has not ended yet (space-separated short ids): what
# the next run marks unreconciled when this one is killed.
PENDING_KEY = "record.pending"
PRESTART_KEY = "record.prestart"  # "1": the last backup needed a manifest of record
# What the run's end needs (metrics, status, the kit check): imported while restic runs. (The
# alerts module is not listed: the start alert imported it before the scan.)
AFTER_RESTIC = (
    "mailvault.monitor.metrics",
    "mailvault.monitor.facts",
    "mailvault.monitor.status",
    "mailvault.kit.status",
)


@dataclass(frozen=True)
class BackupResult:
    snapshot_id: str
    files_new: int
    files_changed: int
    files_unmodified: int
    bytes_added: int
    files_processed: int
    bytes_processed: int
    duration_s: float
    manifest: Totals  # of the manifest of record
    stale_locks_cleared: int
    dry_run: bool
    record: str = SCANNED  # "scanned": the snapshot holds what was scanned; else the record's state
    churn: Churn = field(default_factory=Churn)  # what changed while restic read the store

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_paths(config: Config, paths: StatePaths) -> list[Path]:
    """What goes into the snapshot: maildir roots, config, keys, and the manifest's directory."""
    src = config.sources
    for group, items in (("config", src.config), ("keys", src.keys)):
        for item in items:
            if not item.exists():
                raise SourceError(
                    f"sources.{group}: {item} does not exist",
                    hint=f"create it or remove it from sources.{group}",
                )
    return [*src.maildirs, *src.config, *src.keys, paths.manifest_dir]


def excludes(config: Config) -> list[str]:
    """Dovecot's rebuildable files and tmp/ under every maildir root (unless turned off), then the operator's."""
    src = config.sources
    dovecot = (
        [p for root in src.maildirs for p in dovecot_excludes(root, src.layout, src.folder_layout)]
        if src.exclude_dovecot_files
        else []
    )
    # (with btrfs, the snapshot's own mount point shows as an empty directory inside it)
    snapshot = [f"**/{btrfs.SNAPSHOT_NAME}"] if src.snapshot == "btrfs" else []
    return [*dovecot, *snapshot, *src.exclude]


def manifest_tags(totals: Totals) -> list[str]:
    """Tags that let `snapshots` show totals without reading each snapshot's manifest.

    >>> manifest_tags(Totals(mailboxes=2, folders=5, messages=10, bytes=999))
    ['mailvault', 'manifest:v1', 'mailboxes:2', 'messages:10', 'bytes:999']
    """
    return [
        restic.TAG,
        "manifest:v1",
        f"mailboxes:{totals.mailboxes}",
        f"messages:{totals.messages}",
        f"bytes:{totals.bytes}",
    ]


def backup(config: Config, *, progress: ProgressSink | None = None, dry_run: bool = False) -> BackupResult:
    """Run one backup. Raise LockedError at once when another run holds this host's lock."""
    try:
        with job_run(config, "backup") as run:
            try:
                result = _backup(config, run, progress, dry_run=dry_run)
            except BackupPartial as exc:  # a snapshot was saved: the history keeps what it lacks
                run.summary = exc.summary
                raise
            run.summary = result.as_dict()
    except LockedError:
        raise  # another run is in progress: this one did nothing, so its hooks do not run either
    except Exception:
        _after_failure(config)
        after_job(config, "backup")
        raise
    run_hooks(config.hooks.after, stage="after", env={"MAILVAULT_RESULT": "ok"})
    _warn_if_kit_stale(config)
    after_job(config, "backup")
    return result


def _warn_if_kit_stale(config: Config) -> None:
    """A backup nobody can open after the host is lost is no backup: say when the kit is missing or old."""
    from mailvault.kit.status import status

    try:
        fresh = status(config.repository, config.state.dir)
    except MailvaultError as exc:  # never fail a good backup over this check
        logger.debug("recovery kit check skipped: %s", exc.one_line())
        return
    if not fresh.ok:
        logger.warning("recovery kit: %s", fresh.message)


def _after_failure(config: Config) -> None:
    """Run the after hooks for a failed backup; their own failure is logged, never hides the first error."""
    try:
        run_hooks(config.hooks.after, stage="after", env={"MAILVAULT_RESULT": "failed"})
    except MailvaultError as exc:
        logger.error("%s", exc.one_line())


def _backup(config: Config, run: Run, progress: ProgressSink | None, *, dry_run: bool) -> BackupResult:
    with contextlib.ExitStack() as stack:  # holds the filesystem snapshot, when there is one, to the end
        return _backup_in(config, run, progress, stack, dry_run=dry_run)


def _backup_in(
    config: Config, run: Run, progress: ProgressSink | None, stack: contextlib.ExitStack, *, dry_run: bool
) -> BackupResult:
    started = time.monotonic()
    paths, db = run.paths, run.db
    sources = source_paths(config, paths)
    opened = _open_and_scan(config, run, stack, sweep=run.after_interrupted and not dry_run, dry_run=dry_run)
    engine, stale, view, scanned = opened.engine, opened.stale, opened.view, opened.scanned
    manifest = scanned.manifest
    logger.debug("preflight, sweep and scan took %.2f s", time.monotonic() - started)
    run_tag = f"record-run:{secrets.token_hex(6)}"  # ties the snapshot to a record saved beside it
    argv = functools.partial(
        restic.backup_argv,
        engine.repo,
        sources,
        excludes=excludes(config),
        tags=[*manifest_tags(manifest.totals), *([] if dry_run else [run_tag])],
        compression=config.repository.compression,
        dry_run=dry_run,
        # restic's line per file (19-28 % of an incremental run at 200,000 files) is what the
        # reconciliation compares; a filesystem snapshot cannot change under restic: none needed
        listing=not dry_run and not view.snapshots,
    )
    saver = _before_restic(engine, paths, db, stack, run_tag, dry_run=dry_run)
    preload(AFTER_RESTIC)  # while restic works, not after
    manifest_json = ""

    def finish_scan() -> None:  # the scan's files, in the snapshot: written before restic reads a source
        nonlocal manifest_json
        if not opened.hashed:
            complete(scanned)
            _hash_messages(paths, scanned)
        manifest_json = manifest.to_json()
        write_atomic(paths.manifest, manifest_json)
        if not dry_run:  # (what the scan found is true whatever the backup's fate: the next run starts from it)
            _save_scan_cache(paths, scanned)

    gated = None
    if not opened.hashed:
        gated = functools.partial(
            _gated, engine, view.wrap(argv(exclude_file=paths.backup_gate)), progress, paths, finish_scan
        )
    else:
        finish_scan()
    summary, errors, saved = _first_pass(
        engine, view.wrap(argv()), progress, paths.backup_spool, stale, dry_run=dry_run, first=gated
    )
    record = manifest
    if dry_run:  # (a file that vanished under restic is churn here too)
        _refuse_unreadable(summary, _still_there(errors, view), manifest.unreadable)
    else:
        recorded = _reconcile(engine, view, argv(), paths, db, scanned, _Pass(summary, errors, saved), progress, saver)
        summary, record = recorded.pass_summary, recorded.manifest
    if not dry_run and summary.snapshot_id:
        _remember(paths, db, scanned, summary, manifest_json if record.state == SCANNED else None)
    return _result(summary, record, stale, time.monotonic() - started, dry_run=dry_run)


def _result(summary: Summary, record: Manifest, stale: list[Lock], took: float, *, dry_run: bool) -> BackupResult:
    return BackupResult(
        snapshot_id="" if dry_run else summary.snapshot_id,  # restic 0.14 names the snapshot it did not save
        files_new=summary.files_new,
        files_changed=summary.files_changed,
        files_unmodified=summary.files_unmodified,
        bytes_added=summary.data_added,
        files_processed=summary.total_files,
        bytes_processed=summary.total_bytes,
        duration_s=round(took, 3),
        manifest=record.totals,
        stale_locks_cleared=len(stale),
        dry_run=dry_run,
        record=record.state,
        churn=record.churn,
    )


def _before_restic(
    engine: Engine, paths: StatePaths, db: StateDB, stack: contextlib.ExitStack, run_tag: str, *, dry_run: bool
) -> engine_records.Prepared | None:
    """Mark the snapshots of a backup killed before its reconciliation; on a host whose last backup
    needed a record (a busy one), start the record's restic beside the backup's (elsewhere a record,
    when one is needed, is saved after the backup: about a second). Return that restic."""
    if dry_run:
        return None
    pending = (db.get(PENDING_KEY) or "").split()
    marked = engine_records.recover(engine, paths, pending)
    if pending:
        db.delete(PENDING_KEY)
    if marked:
        logger.warning("cleaned up after a killed backup: %d snapshot(s) marked unreconciled", len(marked))
    busy = db.get(PRESTART_KEY) == "1"
    return stack.enter_context(engine_records.prepared(engine, run_tag)) if busy else None


@dataclass(frozen=True)
class _Opened:
    engine: Engine
    stale: list[Lock]
    view: View
    scanned: ScanResult
    hashed: bool  # False: the new messages are hashed while restic opens the repository (gated)


def _open_and_scan(config: Config, run: Run, stack: contextlib.ExitStack, *, sweep: bool, dry_run: bool) -> _Opened:
    """restic's version check and the endpoint's reachability run beside the before hooks and the
    scan (of a filesystem snapshot, when configured; ``stack`` holds it to the backup's end).

    Stale locks on this host come from killed processes. After a killed mailvault run (``sweep``)
    they are swept here too (the sweep costs restic's key derivation, ~0.5 s); otherwise only when
    restic finds the repository locked. A stale shared lock never blocks a backup, and prune and
    check sweep before they start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        opening = pool.submit(_open, config, sweep=sweep)
        try:
            run_hooks(config.hooks.before, stage="before")
            view = stack.enter_context(consistent_view(config.sources.maildirs, config.sources.snapshot))
            # (a filesystem snapshot's messages are hashed before restic starts, from the snapshot)
            hashed = dry_run or bool(view.snapshots)
            scanned = _scan(config, run.paths, run.db, view, hash_now=hashed)
        finally:
            engine, stale = opening.result()  # its refusal (restic, secrets, endpoint) is the backup's
    return _Opened(engine, stale, view, scanned, hashed)


def _save_scan_cache(paths: StatePaths, scanned: ScanResult) -> None:
    """The scan cache and its names: what the next run's scan reuses for folders that did not change.
    Saved while restic opens the repository; a backup that then fails leaves a cache that is still
    true of the folders (each entry with the directory times it was listed at)."""
    write_atomic(paths.scan_cache, scanned.cache.to_json())
    write_atomic(paths.scan_names, scanned.cache.names_blob())


def _remember(paths: StatePaths, db: StateDB, scanned: ScanResult, summary: Summary, manifest_json: str | None) -> None:
    """What the next run starts from besides the scan cache: the manifest's local copy (when no record
    wrote one), the sample cursor, the repository's growth."""
    if manifest_json is not None:
        write_atomic(paths.manifest_copy(summary.snapshot_id), manifest_json)
    db.put(CURSOR_KEY, str(scanned.next_cursor))
    repo_stats.add_backup(db, summary.data_added)


def _first_pass(
    engine: Engine, argv: tuple[str, ...], progress: ProgressSink | None, spool: Path, stale: list[Lock], *,
    dry_run: bool, first: Callable[[], _Outcome] | None = None,
) -> tuple[Summary, list[ItemError], SavedFiles]:  # fmt: skip
    """restic's backup (its first try ``first`` when given: gated), once more with ``argv`` after
    clearing a stale lock (a killed run's) that refused it; the cleared locks are added to ``stale``."""
    began = time.monotonic()
    try:
        summary, errors, saved = first() if first else _stream_backup(engine, argv, progress, spool)
    except RepositoryLocked:
        cleared = [] if dry_run else engine.clear_stale_locks()
        if not cleared:
            raise
        stale += cleared
        logger.info("retrying the backup now that the stale lock is gone")
        summary, errors, saved = _stream_backup(engine, argv, progress, spool)
    logger.debug("restic backup took %.2f s", time.monotonic() - began)
    if summary is None:
        raise MailvaultError("restic backup ended without a summary", hint="run it again; see the log for details")
    return summary, errors, saved


@dataclass(frozen=True)
class _Pass:
    """One restic backup: its summary, the files it could not read and the files it saved."""

    summary: Summary
    errors: list[ItemError]
    saved: SavedFiles


@dataclass(frozen=True)
class _Recorded:
    manifest: Manifest  # the manifest of record (the scan itself when nothing changed)
    pass_summary: Summary  # the pass whose snapshot is the snapshot of record


def _reconcile(
    engine: Engine, view: View, argv: tuple[str, ...], paths: StatePaths, db: StateDB, scanned: ScanResult,
    first: _Pass, progress: ProgressSink | None, saver: engine_records.Prepared | None,
) -> _Recorded:  # fmt: skip
    """Reconcile what restic saved with the scan; catch up messages its walk missed with another
    pass (at most CATCH_UP_PASSES); save the manifests of record; raise BackupIncomplete for files
    that could not be read or messages that could not be caught."""
    began = time.monotonic()
    db.put(PENDING_KEY, first.summary.snapshot_id[:8])
    manifest = scanned.manifest
    passes = [first]
    found = _compare(scanned, first, view)
    records: list[Manifest] = []
    missed_first = len(found.missed)
    compared = time.monotonic()
    found = _catch_up(engine, view, argv, paths, db, scanned, passes, records, found, progress)
    caught_up = time.monotonic()
    last = passes[-1]
    # A file restic listed and then could not read because it was renamed or expunged: churn, not damage.
    unexplained = _still_there(last.errors, view)
    found.churn.vanished = len(last.errors) - len(unexplained)
    caught = missed_first - len(found.missed) if len(passes) > 1 else 0
    # (a file restic could not read and that is still there is not in the snapshot either: incomplete)
    state = INCOMPLETE if unexplained or manifest.unreadable else PARTIAL if found.missed else COMPLETE
    record = reconcile.apply(manifest, found, snapshot=last.summary.snapshot_id, state=state, caught=caught)
    for earlier in records:
        earlier.superseded_by = last.summary.snapshot_id
    needed = bool(records or state != COMPLETE or found.entries or found.churn.any())
    if records or state != COMPLETE or (needed and saver is None):
        # each snapshot of the run gets its own record, its state in a tag (the explicit records
        # take precedence over the run's tag, which the waiting restic below saves)
        engine_records.save(engine, paths, [*records, record])
    if saver is not None:
        # Handed its record even when it equals the scan: stopping the waiting restic (SIGINT) left
        # a stale lock in 2 of 8 runs, when the signal met restic taking its lock.
        saver.save(paths, record)  # (its restic was started beside the backup: this takes milliseconds)
    elif not needed:
        record = manifest
    db.put(PRESTART_KEY, "1" if needed else "0")
    db.delete(PENDING_KEY)  # every snapshot of this run now has its record, or needs none
    logger.debug(
        "reconciliation took %.2f s (compare %.2f s, catch-up %.2f s in %d pass(es), record %.2f s)",
        time.monotonic() - began, compared - began, caught_up - compared, len(passes) - 1, time.monotonic() - caught_up,
    )  # fmt: skip
    logger.log(
        logging.INFO if record.churn.any() else logging.DEBUG,
        "reconciled snapshot %s with the scan: %s (%.2f s)", last.summary.snapshot_id[:8], record.churn.text(),
        time.monotonic() - began,
    )  # fmt: skip
    _refuse_unreadable(last.summary, unexplained, manifest.unreadable)
    if found.missed:
        raise _partial(found.missed, last.summary.snapshot_id, len(passes), record)
    return _Recorded(record, last.summary)


def _catch_up(
    engine: Engine, view: View, argv: tuple[str, ...], paths: StatePaths, db: StateDB, scanned: ScanResult,
    passes: list[_Pass], records: list[Manifest], found: reconcile.Reconciled, progress: ProgressSink | None,
) -> reconcile.Reconciled:  # fmt: skip
    """Back up again while a pass missed messages another pass could save (at most CATCH_UP_PASSES
    more); each earlier snapshot's record (superseded) goes to ``records``, each pass to ``passes``.
    Return the comparison of the last pass."""
    while _catchable(found, passes[-1], view) and len(passes) <= CATCH_UP_PASSES:
        logger.warning(
            "%d message(s) moved while restic read their folder and are not in snapshot %s: catching them up",
            len(found.missed), passes[-1].summary.snapshot_id[:8],
        )  # fmt: skip
        snapshot = passes[-1].summary.snapshot_id
        records.append(reconcile.apply(scanned.manifest, found, snapshot=snapshot, state=SUPERSEDED))
        summary, errors, saved = _stream_backup(engine, view.wrap(argv), progress, paths.backup_spool)
        if summary is None:
            raise MailvaultError("restic backup ended without a summary", hint="run it again; see the log")
        passes.append(_Pass(summary, errors, saved))
        db.put(PENDING_KEY, " ".join(p.summary.snapshot_id[:8] for p in passes))
        found = _compare(scanned, passes[-1], view)
    return found


def _partial(missed: list[str], snapshot: str, passes: int, record: Manifest) -> BackupPartial:
    return BackupPartial(
        f"backup partial: {len(missed)} message(s) on disk before and after the backup are not in"
        f" snapshot {snapshot[:8]} (moved while restic read their folder, {passes} passes): {_first_five(missed)}",
        hint='run `mailvault backup` again; if it happens every night, set [sources] snapshot = "btrfs"',
        details=missed,
        summary={"snapshot_id": snapshot, "record": PARTIAL, "missed": len(missed), "churn": asdict(record.churn)},
    )


def _catchable(found: reconcile.Reconciled, done: _Pass, view: View) -> bool:
    """Whether another pass could save a missed message: not when every one of them is a file restic
    could not read (another pass reads it no better)."""
    unreadable = {e.item for e in _still_there(done.errors, view)}
    return any(path not in unreadable for path in found.missed)


def _still_there(errors: list[ItemError], view: View) -> list[ItemError]:
    """The files restic could not read that are still on disk: damage. (One renamed or expunged
    meanwhile is churn, which the reconciliation accounts for; so is one restic found missing that
    is back under its name now: a flag set and cleared again. If the snapshot lacks it, the
    reconciliation sees a missed message and catches it up.)"""
    return [e for e in errors if not _vanished(e) and os.path.lexists(view.read_path(e.item))]


def _vanished(error: ItemError) -> bool:
    """restic's error says the file was not there when it looked (ENOENT)."""
    return "no such file or directory" in error.message.lower()


def _first_five(items: list[str]) -> str:
    """
    >>> _first_five(list("abcdefg"))
    'a, b, c, d, e and 2 more'
    """
    return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def _compare(scanned: ScanResult, done: _Pass, view: View) -> reconcile.Reconciled:
    if view.snapshots:  # restic read a read-only filesystem snapshot of what was scanned
        return reconcile.Reconciled()
    racy = scanned.cache.taken_at - scan_cache.RACY_SECONDS

    def still(folder: ScannedFolder) -> bool:
        """Directory mtimes change with every delivery, rename and expunge: equal ones, older than
        the racy window before the scan, mean restic listed what the scan did."""
        was = folder.stamp
        return (
            was is not None
            and max(was.cur_ns, was.new_ns) / 1e9 < racy
            and scan_cache.stamp(Path(view.read_path(folder.path))) == was
        )

    return reconcile.reconcile(
        scanned.manifest,
        scanned.folders,
        lambda folder: reconcile.saved_in(done.saved.by_dir, folder),
        lambda folders: {f: message_files.stats(view.read_path(f)) for f in folders},
        lossy=done.saved.lossy,
        still=still,
    )


def _refuse_unreadable(summary: Summary, errors: list[ItemError], scanned_unreadable: list[str]) -> None:
    """Raise BackupIncomplete when restic could not read files that are still there (or the scan could not)."""
    unreadable = sorted({e.item for e in errors} | set(scanned_unreadable))
    if not unreadable:
        return
    saved = f"snapshot {summary.snapshot_id} was saved without them" if summary.snapshot_id else "no snapshot was saved"
    raise BackupIncomplete(
        f"backup incomplete: {len(unreadable)} file(s) could not be read ({saved}): {_first_five(unreadable)}",
        hint="fix the files' permissions or storage, then run `mailvault backup` again",
        details=[f"{e.item}: {e.message}" for e in errors],
    )


def _open(config: Config, *, sweep: bool) -> tuple[Engine, list[Lock]]:
    engine = Engine.open(config)
    engine.require_reachable()
    return engine, (engine.clear_stale_locks() if sweep else [])


def _scan(config: Config, paths: StatePaths, db: StateDB, view: View, *, hash_now: bool) -> ScanResult:
    """The manifest scan, reusing unchanged folders except on every ``full_scan_every``-th run; of the
    filesystem snapshot when there is one, with the live paths in the manifest. With ``hash_now``
    the new messages are hashed too (else the caller does, once restic has started)."""
    began = time.monotonic()
    cache = scan_cache.load(paths.scan_cache, paths.scan_names)
    full = cache.runs_since_full + 1 >= config.manifest.full_scan_every or not cache.folders
    src = config.sources
    result = scan(
        list(view.roots.values()),
        layout=src.layout,
        folder_layout=src.folder_layout,
        sample_size=config.manifest.sample_size,
        sample_cursor=int(db.get(CURSOR_KEY, "0") or 0),
        cache=None if full else cache,
        defer=not hash_now,
        known=dovecot_mailboxes(src, view) if src.layout == DOVECOT_LAYOUT else None,
    )
    result.cache.runs_since_full = 0 if full else cache.runs_since_full + 1
    if hash_now:  # (else the caller completes the scan and hashes, once restic has started)
        _hash_messages(paths, result)
    if view.snapshots:
        result = _as_live(result, view)
    totals = result.manifest.totals
    logger.info(
        "manifest: %d mailboxes, %d messages, %d bytes (%s scan, %d of %d folders unchanged, %.2f s)",
        totals.mailboxes,
        totals.messages,
        totals.bytes,
        "full" if full else "incremental",
        result.folders_reused,
        totals.folders,
        time.monotonic() - began,
    )
    return result


def _hash_messages(paths: StatePaths, result: ScanResult) -> None:
    """Hash the messages no earlier scan saw (all of them on a first run) into the index the snapshot
    carries beside its manifest. Saved at once: a hash is a fact about a file, whatever the backup's fate."""
    began = time.monotonic()
    previous = hash_index.load(paths.message_hashes)
    folders = [(f.mailbox, f.name, f.path, f.before) for f in result.folders]
    unchanged = {(f.mailbox, f.name) for f in result.folders if f.reused}
    done = hash_index.update(previous, folders, unchanged=unchanged)
    written = hash_index.write_side_files(paths.manifest_dir / hash_index.SIDE_DIR, done)
    if done.changed or not paths.message_hashes.exists():
        write_atomic(paths.message_hashes, hash_index.blob(done.index))
    logger.info(
        "message hashes: %d new message(s) hashed, %d gone before they could be read, %d mailbox file(s)"
        " written (%.2f s)",
        done.hashed,
        done.unreadable,
        written,
        time.monotonic() - began,
    )


def _as_live(result: ScanResult, view: View) -> ScanResult:
    """A scan of the filesystem snapshot, with the live paths restic records."""
    live = view.live_path
    m = result.manifest
    m.roots = [live(r) for r in m.roots]
    m.mailboxes = [replace(mailbox, path=live(mailbox.path)) for mailbox in m.mailboxes]
    m.unreadable = [live(u) for u in m.unreadable]
    folders = [replace(f, path=live(f.path)) for f in result.folders]
    return replace(result, folders=folders)


_Outcome = tuple[Summary | None, list[ItemError], SavedFiles]


def _gated(
    engine: Engine, argv: tuple[str, ...], progress: ProgressSink | None, paths: StatePaths,
    finish_scan: Callable[[], None],
) -> _Outcome:  # fmt: skip
    """restic's backup started at once and held at its gate (``argv`` reads it as an exclude file)
    while ``finish_scan`` writes the scan's files; aborted when that fails."""
    gate, cancel = Gate(paths.backup_gate), threading.Event()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="restic") as pool:
            first = pool.submit(_stream_backup, engine, argv, progress, paths.backup_spool, cancel)
            try:
                finish_scan()
                gate.open()
                outcome = first.result()
            except BaseException:  # (SIGINT and SIGTERM too) the pool waits for restic to end:
                gate.abort()  # before its gate, restic exits without reading a source;
                cancel.set()  # past it, it is stopped as an unthreaded backup's restic is
                raise
    finally:
        gate.close()
    logger.debug("restic waited %.2f s at its gate for the scan's files", gate.waited)
    return outcome


def _stream_backup(
    engine: Engine, argv: tuple[str, ...], progress: ProgressSink | None, spool: Path | None = None,
    cancel: threading.Event | None = None,
) -> _Outcome:  # fmt: skip
    summary: Summary | None = None
    errors: list[ItemError] = []
    stderr: list[str] = []
    saved = SavedFiles()

    def on_line(line: str) -> None:
        nonlocal summary
        if saved.add(line):  # one per file: dispatched before any JSON is parsed
            return
        event = parse_backup_line(line)
        if isinstance(event, ResticProgress) and progress is not None:
            progress(event)
        elif isinstance(event, Summary):
            summary = event
        elif isinstance(event, ItemError):
            errors.append(event)

    def on_err(line: str) -> None:
        event = parse_backup_line(line)
        if isinstance(event, ItemError):
            errors.append(event)
        elif line.strip():
            stderr.append(line)

    code = engine.stream(argv, on_line, on_err, spool=spool, cancel=cancel)
    # 3: files restic could not read; 0 with errors: files that vanished while restic counted them
    # for its progress. The reconciliation tells churn from damage in both.
    if code in (0, 3):
        return summary, errors, saved
    failure = CommandFailed(
        f"restic backup failed (exit {code})",
        command=execute.render_argv(argv),
        returncode=code,
        stderr_tail=[execute.mask(line) for line in stderr[-execute.STDERR_TAIL_LINES :]],
        hint="see the stderr lines above",
    )
    raise engine.translate(failure, "restic backup")
