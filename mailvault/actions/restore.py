"""`mailvault restore`: mail, config files or keys from a snapshot into a new or empty directory.

Never into live data: the target must be new or empty. Restored maildirs keep their file
mtimes (Dovecot's INTERNALDATE) and ``dovecot-uidlist``/``dovecot-keywords``. What was
restored is then counted against the snapshot's manifest.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mailvault.actions import records
from mailvault.actions.engine import Engine
from mailvault.actions.snapshot_pick import list_snapshots, pick
from mailvault.config.schema import Config
from mailvault.errors import RestoreError
from mailvault.mail import restore_plan
from mailvault.mail.listing import list_many
from mailvault.mail.maildir import folder_files
from mailvault.mail.manifest_model import Manifest
from mailvault.mail.restore_plan import restored
from mailvault.mail.restore_split import split_includes
from mailvault.tools import restic
from mailvault.tools.restic_output import ResticProgress, Snapshot

logger = logging.getLogger(__name__)
ProgressSink = Callable[[ResticProgress], None]


@dataclass(frozen=True)
class Selection:
    mailboxes: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    config_files: bool = False
    keys: bool = False
    all_mail: bool = False

    @property
    def mail(self) -> bool:
        """Mail is restored unless only config files and/or keys were asked for."""
        if self.all_mail or self.mailboxes or self.folders or self.since or self.until:
            return True
        return not (self.config_files or self.keys)


@dataclass(frozen=True)
class RestoreResult:
    snapshot_id: str
    snapshot_time: str
    target: str
    mailboxes: list[str]
    folders: int
    folder_names: list[str]
    folder_paths: list[str]  # each folder's directory as backed up, in the order of folder_names
    messages: int
    bytes: int
    removed_by_date: int
    extra_paths: list[str]
    mismatches: list[str]
    duration_s: float
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def require_empty_target(target: Path) -> None:
    """A restore never merges into existing data: the target must be new or an empty directory."""
    if target.exists() and not target.is_dir():
        raise RestoreError(f"restore target {target} is a file", hint="give a new or empty directory")
    if target.is_dir() and any(target.iterdir()):
        raise RestoreError(
            f"restore target {target} is not empty; mailvault never restores over existing data",
            hint="give a new or empty directory, then move what you need into place",
        )


def extra_paths(config: Config, snap: Snapshot, selection: Selection) -> list[str]:
    """The snapshot's config-file and key paths the selection asks for."""
    chosen: list[str] = []
    for flag, group, key in ((selection.config_files, config.sources.config, "config"),
                             (selection.keys, config.sources.keys, "keys")):  # fmt: skip
        if not flag:
            continue
        wanted = {str(p) for p in group}
        found = [p for p in snap.paths if p in wanted]
        if not found:
            raise RestoreError(
                f"snapshot {snap.short_id} holds none of the paths in sources.{key}",
                hint=f"its paths are: {', '.join(snap.paths)}",
            )
        chosen += found
    return chosen


def restore(
    config: Config,
    spec: str,
    target: Path | None,
    selection: Selection,
    *,
    verify: bool = False,
    dry_run: bool = False,
    progress: ProgressSink | None = None,
) -> RestoreResult:
    """Restore into ``target``, or with ``target=None`` to the original paths (a bare machine): then
    every top path restored (maildir roots, config and key directories) must be absent or empty."""
    started = time.monotonic()
    if target is not None:
        require_empty_target(target)
    engine = Engine.open(config)
    engine.require_reachable()
    snap = pick(list_snapshots(engine), spec)
    manifest = records.read(engine, snap)
    plan = _select(config, snap, manifest, selection)
    logger.info(
        "snapshot %s of %s: %d mailboxes, %d folders, %d messages selected%s", snap.short_id,
        snap.time.isoformat(timespec="seconds"), len(plan.mailboxes), len(plan.folders), plan.messages,
        " (dry run: nothing restored)" if dry_run else "",
    )  # fmt: skip
    if target is None:
        target = Path("/")
        _require_bare([*manifest.roots, *plan.extra_paths] if selection.mail else plan.extra_paths)
    removed, mismatches = 0, []
    if not dry_run:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        groups = split_includes(plan, config.repository.restore_processes)
        argvs = [restic.restore_argv(engine.repo, snap.id, target, includes=g, verify=verify) for g in groups]
        with _watch(target, plan, progress):
            _side_by_side(engine, argvs)
        removed = _apply_dates(target, plan)
        mismatches = [] if (plan.since or plan.until) else compare(target, plan)
    return RestoreResult(
        snapshot_id=snap.id,
        snapshot_time=snap.time.isoformat(timespec="seconds"),
        target=str(target),
        mailboxes=plan.mailboxes,
        folders=len(plan.folders),
        folder_names=[f"{f.mailbox}/{f.folder.display}" for f in plan.folders],
        folder_paths=[f.path for f in plan.folders],
        messages=plan.messages - removed,
        bytes=plan.bytes,
        removed_by_date=removed,
        extra_paths=plan.extra_paths,
        mismatches=mismatches,
        duration_s=round(time.monotonic() - started, 3),
        dry_run=dry_run,
    )


def _select(config: Config, snap: Snapshot, manifest: Manifest, selection: Selection) -> restore_plan.RestorePlan:
    """What of the snapshot the selection restores: mail by mailbox, folder and date, and the config
    and key paths asked for."""
    return restore_plan.plan(
        manifest,
        mailboxes=selection.mailboxes,
        folders=selection.folders,
        since=selection.since,
        until=selection.until,
        extra_paths=extra_paths(config, snap, selection),
        mail=selection.mail,
    )


def _require_bare(tops: list[str]) -> None:
    """--original-paths: every top path restored must be absent or an empty directory."""
    for top in tops:
        if Path(top).exists() and (not Path(top).is_dir() or any(Path(top).iterdir())):
            raise RestoreError(
                f"{top} already holds data; --original-paths only restores onto a bare machine",
                hint="restore with --target DIR instead, then move what you need into place",
            )


def _side_by_side(engine: Engine, argvs: list[tuple[str, ...]]) -> None:
    """Run the restores at once; when one fails, the others still finish, then the failure is raised."""
    if len(argvs) == 1:
        engine.run(argvs[0], "restic restore")
        return
    with ThreadPoolExecutor(max_workers=len(argvs)) as pool:
        runs = [pool.submit(engine.run, argv, "restic restore") for argv in argvs]
        wait(runs)
    for run in runs:
        run.result()


def compare(target: Path, plan: restore_plan.RestorePlan) -> list[str]:
    """Folders whose restored message count or bytes differ from the manifest."""
    found = []
    listings = list_many([restored(target, item.path) for item in plan.folders])
    for item, files in zip(plan.folders, listings, strict=True):
        if len(files.files) != item.folder.messages or files.bytes != item.folder.bytes:
            found.append(
                f"{item.mailbox} {item.folder.display}: {len(files.files)} messages, {files.bytes} bytes restored;"
                f" the manifest says {item.folder.messages}, {item.folder.bytes}"
            )
    return found


def _apply_dates(target: Path, plan: restore_plan.RestorePlan) -> int:
    """Remove restored messages outside --since/--until (by mtime: the date IMAP shows)."""
    if not (plan.since or plan.until):
        return 0
    low = plan.since.timestamp() if plan.since else float("-inf")
    high = plan.until.timestamp() if plan.until else float("inf")
    removed = 0
    for item in plan.folders:
        folder = restored(target, item.path)
        for _base, _size, rel in folder_files(folder).files:
            path = folder / rel
            if not low <= path.stat().st_mtime <= high:
                path.unlink()
                removed += 1
    return removed


class _watch:
    """Report restore progress by counting the files that have appeared under the target."""

    def __init__(self, target: Path, plan: restore_plan.RestorePlan, progress: ProgressSink | None) -> None:
        self.target, self.plan, self.progress = target, plan, progress
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> None:
        if self.progress is not None:
            self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _loop(self) -> None:
        began = time.monotonic()
        total = max(1, self.plan.messages)
        while not self.stop.wait(1.0):
            done = sum(len(files) for _, _, files in os.walk(self.target))
            share = min(1.0, done / total)
            elapsed = time.monotonic() - began
            eta = int(elapsed / share - elapsed) if share > 0.01 else None
            assert self.progress is not None
            self.progress(ResticProgress(share, done, total, 0, self.plan.bytes, eta))
