"""Gathering what status, metrics and alerts judge: the run history, the schedule, the repository's
last measured size, the kit (filesystem and state DB edge; no network, so `status` answers at once)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from mailvault.config import cron
from mailvault.config.jobs import DUTIES
from mailvault.config.schema import Config, JobSchedule
from mailvault.errors import MailvaultError
from mailvault.monitor.events import job_kind
from mailvault.monitor.status import Facts, JobFacts
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)
REPO_SNAPSHOTS, REPO_BYTES, REPO_MEASURED = "repo.snapshots", "repo.size_bytes", "repo.measured"


def schedules(config: Config) -> dict[str, JobSchedule]:
    s = config.schedule
    return {"backup": s.backup, "prune": s.prune, "check": s.check, "restore-test": s.restore_test,
            "restore-test-oldest": s.restore_test_oldest, "watch": s.watch,
            "migrate-sync": s.migrate_sync}  # fmt: skip


def next_run(job: JobSchedule, now: datetime) -> datetime | None:
    return cron.next_run(cron.parse(job.cron), now.astimezone()) if job.enabled else None


def gather(config: Config, now: datetime | None = None) -> Facts:
    now = now or datetime.now(UTC)
    paths = StatePaths(config.state.dir)
    db = StateDB(paths.db) if paths.db.exists() else None
    jobs: dict[str, JobFacts] = {}
    plan = schedules(config)
    for job_name in DUTIES:
        kind, job = job_kind(job_name), plan[job_name]
        period = cron.cadence(cron.parse(job.cron), now.astimezone()) if job.enabled else None
        jobs[kind] = JobFacts(
            last=db.last_run(kind) if db else None,
            last_ok=db.last_run(kind, status="ok") if db else None,
            cadence=period,
            next_run=next_run(job, now),
        )
    snapshots = size = measured = None
    if db is not None:
        snapshots_text, size_text, measured = db.get(REPO_SNAPSHOTS), db.get(REPO_BYTES), db.get(REPO_MEASURED)
        snapshots = int(snapshots_text) if snapshots_text else None
        size = int(size_text) if size_text else None
    kit_fresh, kit_text = _kit(config)
    grace = max(j.jitter for j in plan.values()) + timedelta(hours=1)
    return Facts(
        now=now, rpo=config.targets.rpo, rto=config.targets.rto, jobs=jobs, grace=grace,
        snapshots=snapshots, repo_bytes=size, repo_measured=measured, kit_fresh=kit_fresh, kit_text=kit_text,
        coverage=coverage_summary(paths),
    )  # fmt: skip


def coverage_summary(paths: StatePaths) -> dict[str, Any] | None:
    """The drills' coverage over time as the last drill left it; None before the first."""
    from mailvault.drill.coverage import Coverage

    try:
        return Coverage.from_json(paths.coverage.read_text(encoding="utf-8")).summary()
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        logger.warning("the coverage state %s cannot be read: %s", paths.coverage, exc)
        return None


def _kit(config: Config) -> tuple[bool | None, str]:
    from mailvault.kit.status import status

    try:
        fresh = status(config.repository, config.state.dir)
    except MailvaultError as exc:  # a secret that cannot be read now: say so, do not fail the status
        return None, exc.one_line()
    return fresh.ok, fresh.message


def mailbox_counts(config: Config, db: StateDB | None) -> list[tuple[str, int, int]]:
    """(mailbox, messages, bytes) from the newest successful backup's manifest copy in the state dir."""
    if db is None:
        return []
    last = db.last_run("backup", status="ok")
    snapshot = last.summary.get("snapshot_id") if last else None
    path = StatePaths(config.state.dir).manifest_copy(str(snapshot)) if snapshot else None
    if path is None or not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        logger.warning("could not read the manifest copy %s: %s", path, exc)
        return []
    return [
        (mailbox["name"], sum(f["messages"] for f in mailbox["folders"]), sum(f["bytes"] for f in mailbox["folders"]))
        for mailbox in data.get("mailboxes", [])
    ]


SCHEDULED_SINCE = "schedule.since"  # set by `schedule install` and `schedule run`: from then on, runs are due


def mark_scheduled(db: StateDB, now: datetime | None = None) -> None:
    """From now on this host runs the jobs on schedule (kept from the first install or daemon start)."""
    if db.get(SCHEDULED_SINCE) is None:
        db.put(SCHEDULED_SINCE, (now or datetime.now(UTC)).isoformat(timespec="seconds"))
