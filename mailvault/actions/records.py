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

from mailvault.actions.engine import Engine
from mailvault.actions.snapshot_pick import list_snapshots, read_manifest
from mailvault.errors import CommandFailed, RestoreError
from mailvault.mail.manifest_model import UNRECONCILED, Manifest
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.tools import restic
from mailvault.tools.restic_output import Snapshot

logger = logging.getLogger(__name__)


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
    try:
        text = engine.run(
            restic.dump_argv(engine.repo, snap.record.snapshot, snap.record.path), "restic dump (manifest of record)"
        ).stdout
        return Manifest.from_json(text)
    except CommandFailed as exc:
        said = [line for line in exc.stderr_tail if line.strip()][-1:] or [f"exit {exc.returncode}"]
        raise RestoreError(
            f"the manifest of record of snapshot {snap.short_id} cannot be read from the repository: {said[0]}",
            hint="the repository may be damaged: run `mailvault check`",
        ) from exc
    except ValueError as exc:
        raise RestoreError(f"the manifest of record of snapshot {snap.short_id} is not valid: {exc}") from exc
