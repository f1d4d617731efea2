"""`mailvault check`: repository structure plus a rotating data subset.

The cursor lives in the state DB, so N consecutive runs read all the data once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from mailvault.actions import repo_stats
from mailvault.actions.after_job import after_job
from mailvault.actions.engine import Engine
from mailvault.config.schema import Config
from mailvault.errors import RepositoryError
from mailvault.monitor.job import job_run
from mailvault.tools import restic
from mailvault.tools.restic_output import check_ok

logger = logging.getLogger(__name__)
CURSOR_KEY = "check.read_data_cursor"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    subset: str
    full_read_every: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def next_subset(cursor: int, total: int) -> tuple[int, int]:
    """The 1-based subset to read for ``cursor`` runs done so far.

    >>> [next_subset(c, 3) for c in range(4)]
    [(1, 3), (2, 3), (3, 3), (1, 3)]
    """
    return (cursor % total) + 1, total


def check(config: Config) -> CheckResult:
    """Check the repository; raise RepositoryError when restic finds damage."""
    try:
        result = _check(config)
    finally:
        after_job(config, "check")
    logger.info("check passed; read data subset %s", result.subset)
    return result


def _check(config: Config) -> CheckResult:
    with job_run(config, "check") as run:
        total = config.check.read_data_runs
        cursor = int(run.db.get(CURSOR_KEY, "0") or 0)
        subset = next_subset(cursor, total)
        run.summary = {"subset": f"{subset[0]}/{subset[1]}"}
        engine = Engine.open(config)
        engine.require_reachable()
        engine.clear_stale_locks()
        done = engine.run(restic.check_argv(engine.repo, subset=subset), "restic check")
        if not check_ok(done.stdout):
            raise RepositoryError(
                f"restic check of {config.repository.url} did not confirm the repository is sound",
                hint="run `restic check` by hand and read its output",
            )
        run.db.put(CURSOR_KEY, str(cursor + 1))
        result = CheckResult(True, f"{subset[0]}/{subset[1]}", total)
        run.summary = result.as_dict()
        repo_stats.measure(engine, run.db)
    return result
