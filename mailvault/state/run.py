"""A recorded run: the host lock held, a row in the run history, its outcome written whatever happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailvault.errors import MailvaultError
from mailvault.state.db import StateDB
from mailvault.state.lock import host_lock
from mailvault.state.paths import StatePaths


@dataclass
class Run:
    """What an action sees of its run; it sets ``summary`` before returning."""

    paths: StatePaths
    db: StateDB
    id: int
    after_interrupted: bool  # an earlier run on this host was killed: it may have left restic locks behind
    summary: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None  # set when the run ends normally but did not succeed (a failed drill)


def describe(exc: BaseException) -> str:
    """The error text recorded in the history: the operator's line, or the exception's own words."""
    return exc.one_line() if isinstance(exc, MailvaultError) else (str(exc) or type(exc).__name__)


@contextmanager
def recorded_run(state_dir: Path, kind: str, *, own_lock: bool = False) -> Iterator[Run]:
    """Hold the host lock and record a ``kind`` run: ok when the block ends, failed (with why) when it
    raises or sets ``run.failure``. ``own_lock``: a lock of its own kind instead of the host lock (a
    drill only reads the repository, and must not hold up the nightly backup).

    Raise LockedError at once when another run holds the lock; then nothing is recorded.
    """
    paths = StatePaths(state_dir)
    paths.ensure()
    with host_lock(paths.root / f"{kind}.lock" if own_lock else paths.lock, kind):
        db = StateDB(paths.db)
        run_id, interrupted = db.start_run(kind)
        run = Run(paths, db, run_id, after_interrupted=interrupted > 0)
        try:
            yield run
        except BaseException as exc:
            db.finish_run(run.id, ok=False, summary=run.summary, error=describe(exc))
            raise
        db.finish_run(run.id, ok=run.failure is None, summary=run.summary, error=run.failure)
