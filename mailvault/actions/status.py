"""`mailvault status`: how backups, checks and drills stand, with the next runs; and, for the hourly
watch job (`--notify`), the alerts nobody else sends: an RPO breach and a missed run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mailvault.config import cron
from mailvault.config.jobs import DUTIES
from mailvault.config.schema import Config
from mailvault.monitor.events import Event, job_kind
from mailvault.monitor.facts import SCHEDULED_SINCE, gather, next_run, schedules
from mailvault.monitor.status import LEVEL_NAMES, Status, evaluate
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths

REALERT = timedelta(hours=24)


@dataclass
class StatusResult:
    status: Status
    next_runs: dict[str, str | None]
    alerts: list[Event] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.status.level,
            "state": LEVEL_NAMES[self.status.level],
            "headline": self.status.headline(),
            "items": [
                {"name": i.name, "state": LEVEL_NAMES[i.level], "level": i.level, "text": i.text, **i.data}
                for i in self.status.items
            ],
            "next_runs": self.next_runs,
            "alerts_sent": [e.kind for e in self.alerts],
        }


def status(config: Config, *, notify: bool = False, now: datetime | None = None) -> StatusResult:
    now = now or datetime.now(UTC)
    facts = gather(config, now)
    result = StatusResult(evaluate(facts), {
        name: (when.isoformat(timespec="minutes") if (when := next_run(job, now)) else None)
        for name, job in schedules(config).items()
    })  # fmt: skip
    if notify:
        from mailvault.monitor.job import write_metrics
        from mailvault.monitor.notify import flush
        from mailvault.monitor.notify import notify as send

        for event in due_alerts(config, result.status, now):
            send(config.alerts, config.state.dir, event)
            result.alerts.append(event)
        flush(config.alerts, config.state.dir)
        write_metrics(config)
    return result


def due_alerts(config: Config, current: Status, now: datetime) -> list[Event]:
    """RPO breach and missed runs, each sent once a day while it lasts."""
    paths = StatePaths(config.state.dir)
    if not paths.db.exists():
        return []
    db = StateDB(paths.db)
    found: list[Event] = []
    since_text = db.get(SCHEDULED_SINCE)
    backup = next(i for i in current.items if i.name == "backup")
    age = backup.data.get("age_s")
    rpo = config.targets.rpo
    if age is not None:
        breached = age > rpo.total_seconds()
    else:  # never a good backup: a breach once the schedule has had an RPO's time to make one
        breached = since_text is not None and now - datetime.fromisoformat(since_text) > rpo
    last_ok = db.last_run("backup", status="ok")
    if breached and _once_a_day(db, "alerted.rpo_breach", str(last_ok.id if last_ok else 0), now):
        found.append(Event("rpo_breach", "backup", backup.text))
    if since_text is None:
        return found
    since = datetime.fromisoformat(since_text)
    grace = max(j.jitter for j in schedules(config).values()) + timedelta(hours=1)
    for name, job in schedules(config).items():
        if not job.enabled or name not in DUTIES:
            continue  # (watch and migrate-sync keep no run history to compare with)
        due = last_fire(cron.parse(job.cron), (now - grace).astimezone())
        if due is None or due < since:
            continue
        last = db.last_run(job_kind(name))
        if last is None or datetime.fromisoformat(last.started) < due:
            key = f"alerted.missed_run.{name}"
            if _once_a_day(db, key, due.isoformat(), now):
                found.append(Event("missed_run", name, (
                    f"{name} was due at {due:%Y-%m-%d %H:%M %Z} and has not run"
                    + (f"; its last run started {last.started}" if last else "; it never ran")
                )))  # fmt: skip
    return found


def last_fire(schedule: cron.Cron, before: datetime) -> datetime | None:
    """The newest scheduled time at or before ``before``."""
    period = cron.cadence(schedule, before)
    when, found = before - period - timedelta(seconds=1), None
    while (candidate := cron.next_run(schedule, when)) <= before:
        found, when = candidate, candidate
    return found


def _once_a_day(db: StateDB, key: str, identity: str, now: datetime) -> bool:
    previous = db.get(key)
    if previous is not None:
        seen, _, when = previous.partition("|")
        if seen == identity and now - datetime.fromisoformat(when) < REALERT:
            return False
    db.put(key, f"{identity}|{now.isoformat(timespec='seconds')}")
    return True
