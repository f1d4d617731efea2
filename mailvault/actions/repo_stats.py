"""The repository's snapshot count and stored size, kept in the state DB for `status` and the metrics.

prune and check measure them with `restic stats` (they run weekly and are slow anyway); a backup only
adds its own snapshot and bytes, so the nightly job pays for no extra restic call.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from mailvault.actions.engine import Engine
from mailvault.errors import MailvaultError
from mailvault.monitor.facts import REPO_BYTES, REPO_MEASURED, REPO_SNAPSHOTS
from mailvault.state.db import StateDB
from mailvault.tools import restic

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def measure(engine: Engine, db: StateDB) -> None:
    """Ask restic; a failure is logged, never raised (the job itself succeeded)."""
    try:
        done = engine.run(restic.stats_argv(engine.repo), "restic stats", timeout=600)
        data = json.loads(done.stdout.strip().splitlines()[-1])
        db.put(REPO_SNAPSHOTS, str(int(data["snapshots_count"])))
        db.put(REPO_BYTES, str(int(data["total_size"])))
        db.put(REPO_MEASURED, _now())
    except (MailvaultError, ValueError, KeyError, IndexError) as exc:
        logger.warning("could not measure the repository's size: %s", exc)


def repository_bytes(engine: Engine | None, snapshot: str) -> int | None:
    """The blobs of ``snapshot`` as stored: what restoring it reads from the repository (the index
    and tree metadata aside). None when restic cannot say (logged): this is a cost figure, not a check."""
    if engine is None:
        return None
    try:
        done = engine.run(restic.stats_argv(engine.repo, snapshot), "restic stats", timeout=600)
        return int(json.loads(done.stdout.strip().splitlines()[-1])["total_size"])
    except (MailvaultError, ValueError, KeyError, IndexError) as exc:
        logger.warning("could not measure what the drill read from the repository: %s", exc)
        return None


def add_backup(db: StateDB, bytes_added: int) -> None:
    """One more snapshot and ``bytes_added`` more stored, until the next measurement."""
    snapshots, size = db.get(REPO_SNAPSHOTS), db.get(REPO_BYTES)
    if snapshots is None or size is None:
        return  # never measured: an estimate from nothing would mislead
    db.put(REPO_SNAPSHOTS, str(int(snapshots) + 1))
    db.put(REPO_BYTES, str(int(size) + bytes_added))
    db.put(REPO_MEASURED, _now() + " (estimated after the backup)")
