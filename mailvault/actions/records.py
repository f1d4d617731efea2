"""Manifests of record in the repository: saving them after a backup, reading a snapshot's.

A snapshot carries the manifest its backup scanned before restic started (``manifest.json``). When
the store changed while restic read it, the backup reconciles the two (``mail.reconcile``) and
saves the result, the manifest of record, as a small snapshot of its own tagged ``mailvault-record``
and ``record:<snapshot id>:<state>:<messages>:<bytes>``. So the record is in the repository alone (a
bare machine with the recovery kit reads it), encrypted like everything there, under the same
versioning and Object Lock, and `prune` forgets it with the snapshot it describes. A snapshot
without a record holds exactly what its own manifest says.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from mailvault import execute
from mailvault.actions.engine import Engine
from mailvault.actions.snapshot_pick import dump_manifest, list_snapshots, read_manifest
from mailvault.errors import CommandFailed
from mailvault.mail.manifest_model import UNRECONCILED, Manifest
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.tools import restic
from mailvault.tools.restic_output import Snapshot

logger = logging.getLogger(__name__)
STDIN_TIMEOUT = 300  # seconds for the record's restic to save what it was given, or to stop


class Prepared:
    """The record snapshot's restic, started beside the backup: its key derivation and index loading
    (about a second, restic's fixed cost per process) overlap the backup's own restic. It waits on
    its stdin for the manifest of record; :meth:`save` hands it over. :meth:`cancel` (SIGINT) is for a
    run that ends in an error, or saves its records otherwise: restic then saves nothing, but when
    the signal meets it taking its lock, the lock stays behind (stale; prune, check and a locked
    backup clear it)."""

    def __init__(self, engine: Engine, run_tag: str) -> None:
        self.argv = restic.record_stdin_argv(engine.repo, run_tag)
        self.proc = execute.start_piped(self.argv, env=engine.env)
        self.done = False

    def save(self, paths: StatePaths, record: Manifest) -> None:
        """Save ``record`` as the run's record snapshot; raise CommandFailed when restic cannot."""
        assert record.snapshot is not None
        text = record.to_json()
        write_atomic(paths.manifest_copy(record.snapshot), text)
        self.done = True
        _, err = self.proc.communicate(text.encode(), timeout=STDIN_TIMEOUT)
        if self.proc.returncode != 0:
            lines = [execute.mask(line) for line in err.decode(errors="replace").splitlines() if line.strip()]
            raise CommandFailed(
                f"restic backup (manifest of record) failed (exit {self.proc.returncode})",
                command=execute.render_argv(self.argv),
                returncode=self.proc.returncode,
                stderr_tail=lines[-execute.STDERR_TAIL_LINES :],
                hint="the snapshot was saved; the next backup marks it unreconciled",
            )

    def cancel(self) -> None:
        if self.done or self.proc.poll() is not None:
            return
        self.done = True
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.communicate(timeout=STDIN_TIMEOUT)
        except execute.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@contextmanager
def prepared(engine: Engine, run_tag: str) -> Iterator[Prepared]:
    """A :class:`Prepared` record for the block; cancelled unless the block saved it."""
    pending = Prepared(engine, run_tag)
    try:
        yield pending
    finally:
        pending.cancel()


def save(engine: Engine, paths: StatePaths, records: list[Manifest]) -> None:
    """Write each record to the state dir (also as the snapshot's local manifest copy) and save them
    all in one record snapshot. Raise CommandFailed when restic cannot."""
    files = []
    tags = []
    paths.records_dir.mkdir(mode=0o700, exist_ok=True)
    for record in records:
        assert record.snapshot is not None
        text = record.to_json()
        file = paths.records_dir / f"{record.snapshot}.json"
        write_atomic(file, text)
        write_atomic(paths.manifest_copy(record.snapshot), text)
        files.append(file)
        totals = record.totals
        tags.append(restic.record_tag(record.snapshot, record.state, totals.messages, totals.bytes))
    engine.run(restic.record_argv(engine.repo, files, tags), "restic backup (manifest of record)")
    for file in files:
        file.unlink(missing_ok=True)


def recover(engine: Engine, paths: StatePaths, pending: list[str]) -> list[str]:
    """After a backup killed between restic's end and its reconciliation: remove the record files it
    left, and mark the snapshots it made (``pending``, short ids) ``unreconciled``, with their own
    manifests as records, so that `snapshots` and the drill say so. Return what was marked."""
    if paths.records_dir.is_dir():
        for leftover in sorted(paths.records_dir.iterdir()):
            logger.warning("removing %s, left by a backup that was killed while saving it", leftover)
            leftover.unlink(missing_ok=True)
    if not pending:
        return []
    snaps = [s for s in list_snapshots(engine) if s.short_id in pending and s.record is None]
    records = []
    for snap in snaps:
        manifest = read_manifest(engine, snap)
        manifest.state, manifest.snapshot = UNRECONCILED, snap.short_id
        records.append(manifest)
    if records:
        save(engine, paths, records)
        logger.warning(
            "snapshot(s) %s were made by a backup killed before it compared them with its scan: marked"
            " unreconciled", ", ".join(r.snapshot or "" for r in records),
        )  # fmt: skip
    return [r.snapshot or "" for r in records]


def read(engine: Engine, snap: Snapshot) -> Manifest:
    """The manifest of record of ``snap``: its record when it has one, else the manifest inside it."""
    if snap.record is None or not snap.record.path:
        return read_manifest(engine, snap)
    whose = f"the manifest of record of snapshot {snap.short_id}"
    return dump_manifest(engine, snap.record.snapshot, snap.record.path, whose=whose)
