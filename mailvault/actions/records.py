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
from mailvault.actions.snapshot_pick import read_manifest
from mailvault.errors import CommandFailed, RestoreError
from mailvault.mail.manifest_model import Manifest
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
