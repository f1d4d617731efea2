"""`mailvault status`, the judgement: from what the state DB knows, how each duty stands (pure).

Levels follow the Nagios plugin convention, so the exit code plugs into any monitoring:
0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN. Bands: within the target (or cadence) OK, up to twice it WARN,
beyond that CRIT. A failed check (damage) or a failed drill (restores do not work) is CRIT at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mailvault.humanize import human_bytes, human_duration
from mailvault.state.db import RunRecord

OK, WARN, CRIT, UNKNOWN = 0, 1, 2, 3
LEVEL_NAMES = ("OK", "WARN", "CRIT", "UNKNOWN")


@dataclass(frozen=True)
class Item:
    name: str
    level: int
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobFacts:
    last: RunRecord | None = None  # the newest run, whatever its outcome
    last_ok: RunRecord | None = None  # the newest successful one
    cadence: timedelta | None = None  # the longest wait between scheduled runs; None: not scheduled
    next_run: datetime | None = None


@dataclass(frozen=True)
class Facts:
    now: datetime
    rpo: timedelta
    rto: timedelta
    jobs: dict[str, JobFacts]  # by run kind: backup, check, prune, drill
    grace: timedelta = timedelta(hours=1)  # a scheduled run may start this late (jitter, a reboot)
    snapshots: int | None = None
    repo_bytes: int | None = None
    repo_measured: str | None = None
    kit_fresh: bool | None = None
    kit_text: str = ""
    coverage: dict[str, Any] | None = None  # the drills' coverage over time (drill.coverage summary())


@dataclass(frozen=True)
class Status:
    items: list[Item]

    @property
    def level(self) -> int:
        levels = {i.level for i in self.items}
        for level in (CRIT, WARN, UNKNOWN):
            if level in levels:
                return level
        return OK

    def headline(self) -> str:
        """The first line, as a monitoring plugin prints it: ``MAILVAULT WARN - ...``."""
        worst = [i.text for i in self.items if i.level == self.level and self.level != OK]
        return f"MAILVAULT {LEVEL_NAMES[self.level]} - " + ("; ".join(worst) or "backups, checks and drills on time")


def band(age: timedelta, target: timedelta) -> int:
    if age <= target:
        return OK
    return WARN if age <= 2 * target else CRIT


def evaluate(f: Facts) -> Status:
    items = [_backup(f), _check(f), _prune(f), _drill(f), _repository(f)]
    if f.kit_fresh is not None:
        items.append(Item("kit", OK if f.kit_fresh else WARN, f.kit_text))
    if f.coverage is not None:
        items.append(_coverage(f.coverage))
    return Status(items)


def _coverage(c: dict[str, Any]) -> Item:
    """Which share of the messages the drills have read back in the current cycle.

    >>> _coverage({"cycle": 2, "every": 12, "shares_proven": 3, "share_proven": 0.251,
    ...            "oldest_unproven": {"mailbox": "b@x.org", "since": None}}).text
    'coverage: 25 % of the messages read back in cycle 2 (3 of 12 drills); oldest unproven mailbox b@x.org (never)'
    """
    oldest = c.get("oldest_unproven")
    text = (
        f"coverage: {round(c['share_proven'] * 100)} % of the messages read back in cycle {c['cycle']}"
        f" ({c['shares_proven']} of {c['every']} drills)"
    )
    if oldest:
        text += f"; oldest unproven mailbox {oldest['mailbox']} ({oldest['since'] or 'never'})"
    return Item("coverage", OK, text, dict(c))


def _finished(run: RunRecord) -> datetime:
    return datetime.fromisoformat(run.finished or run.started)


def _ago(f: Facts, run: RunRecord) -> timedelta:
    return max(timedelta(0), f.now - _finished(run))


def _text(value: timedelta) -> str:
    return human_duration(value)


def _failed_after_ok(job: JobFacts) -> RunRecord | None:
    last = job.last
    if (
        last is not None
        and last.status in ("failed", "interrupted")
        and (job.last_ok is None or last.id > job.last_ok.id)
    ):
        return last
    return None


def _backup(f: Facts) -> Item:
    job = f.jobs.get("backup", JobFacts())
    failed = _failed_after_ok(job)
    if job.last_ok is None:
        why = f": the last attempt failed: {failed.error}" if failed else ""
        return Item("backup", CRIT, f"no successful backup yet{why}")
    age = _ago(f, job.last_ok)
    level = band(age, f.rpo)
    text = f"last backup {_text(age)} ago (RPO target {_text(f.rpo)})"
    data = {
        "age_s": age.total_seconds(),
        "rpo_s": f.rpo.total_seconds(),
        "snapshot": job.last_ok.summary.get("snapshot_id"),
    }
    if failed is not None:
        level = max(level, WARN)
        text += f"; the run after it failed: {failed.error}"
    return Item("backup", level, text, data)


def _scheduled_age(f: Facts, name: str, job: JobFacts, noun: str) -> tuple[int, str, dict[str, Any]]:
    if job.last_ok is None:
        return (WARN if job.cadence else OK), f"no {noun} has run yet", {}
    age = _ago(f, job.last_ok)
    data: dict[str, Any] = {"age_s": age.total_seconds()}
    if job.cadence is None:
        return OK, f"last {noun} {_text(age)} ago (not scheduled)", data
    data["cadence_s"] = job.cadence.total_seconds()
    level = band(age, job.cadence + f.grace)
    return level, f"last {noun} {_text(age)} ago (every {_text(job.cadence)})", data


def _check(f: Facts) -> Item:
    job = f.jobs.get("check", JobFacts())
    failed = _failed_after_ok(job)
    if failed is not None and failed.status == "failed":
        return Item("check", CRIT, f"the last repository check failed: {failed.error}")
    level, text, data = _scheduled_age(f, "check", job, "repository check")
    return Item("check", level, text, data)


def _prune(f: Facts) -> Item:
    job = f.jobs.get("prune", JobFacts())
    failed = _failed_after_ok(job)
    level, text, data = _scheduled_age(f, "prune", job, "prune")
    if job.last_ok is None and failed is None:
        level = OK  # nothing to prune yet on a new repository
    if failed is not None:
        level, text = max(level, WARN), f"{text}; the last prune failed: {failed.error}"
    return Item("prune", min(level, WARN), text, data)  # an overdue prune costs space, not mail


def _drill(f: Facts) -> Item:
    job = f.jobs.get("drill", JobFacts())
    last = job.last
    if last is None or last.status == "running":
        return Item("drill", WARN if job.cadence else OK, "no restore drill has run yet")
    summary = last.summary
    verdict = summary.get("verdict", "fail" if last.status != "ok" else "pass")
    if last.status != "ok" or verdict == "fail":
        return Item(
            "drill", CRIT, f"the last restore drill failed: {last.error or 'see its report'}", {"verdict": verdict}
        )
    data: dict[str, Any] = {"verdict": verdict, "rto_s": summary.get("rto_s")}
    level = WARN if verdict == "warn" else OK
    rto = summary.get("rto_s")
    text = f"last drill {verdict}"
    if isinstance(rto, int | float):
        level = max(level, band(timedelta(seconds=rto), f.rto))
        text += f", RTO {human_duration(rto)} (target {_text(f.rto)})"
    passed = job.last_ok
    if passed is not None and job.cadence is not None:
        age = _ago(f, passed)
        data["age_s"] = age.total_seconds()
        level = max(level, band(age, job.cadence + f.grace))
        text += f", {_text(age)} ago (every {_text(job.cadence)})"
    return Item("drill", level, text, data)


def _repository(f: Facts) -> Item:
    if f.snapshots is None:
        return Item("repository", OK, "size not measured yet (the next prune or check measures it)")
    size = human_bytes(f.repo_bytes) if f.repo_bytes is not None else "size unknown"
    return Item(
        "repository",
        OK,
        f"{f.snapshots} snapshots, {size} stored (as of {f.repo_measured})",
        {"snapshots": f.snapshots, "bytes": f.repo_bytes, "measured": f.repo_measured},
    )
