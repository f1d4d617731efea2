"""One line per host from the summaries in the buckets, judged as `status` judges one host. Pure.

A host's history is ordered by its own sequence, never by wall time. A host whose newest summary
is older than its RPO target is silent: CRIT, "silent since …". A summary that cannot be read is
listed with its reason and the host judged on the rest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mailvault.humanize import human_duration

OK, WARN, CRIT, UNKNOWN = 0, 1, 2, 3
LEVEL_NAMES = {OK: "OK", WARN: "WARN", CRIT: "CRIT", UNKNOWN: "UNKNOWN"}
TREND_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Received:
    """One object under a host's name: its sequence and kind (from the key), the summary when it opened."""

    key: str
    host: str
    seq: int
    kind: str
    data: dict[str, Any] | None
    error: str | None = None


@dataclass
class HostRow:
    host: str
    level: int = OK
    problems: list[str] = field(default_factory=list)
    summaries: int = 0
    silent_since: str | None = None
    last_backup: str | None = None
    backup_age_s: float | None = None
    rpo_target_s: float | None = None
    last_check: str | None = None
    check_ok: bool | None = None
    drill_verdict: str | None = None
    drill_at: str | None = None
    rto_s: float | None = None
    coverage: float | None = None
    repository_bytes: int | None = None
    growth_per_week: float | None = None  # share of the size, from the size a week before
    kit_fresh: bool | None = None
    unreadable: list[str] = field(default_factory=list)  # "key: reason"
    history: list[dict[str, Any]] = field(default_factory=list)  # the readable summaries, by sequence

    @property
    def state(self) -> str:
        return LEVEL_NAMES[self.level]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state": self.state}


def _age(now: datetime, when: str | None) -> float | None:
    return (now - datetime.fromisoformat(when)).total_seconds() if when else None


def _band(age: float, target: float) -> int:
    return OK if age <= target else WARN if age <= 2 * target else CRIT


def _worse(row: HostRow, level: int, text: str) -> None:
    row.level = max(row.level, level)
    row.problems.append(text)


def evaluate(received: list[Received], now: datetime) -> list[HostRow]:
    """A row per host, hosts by name."""
    rows: dict[str, HostRow] = {}
    for item in sorted(received, key=lambda r: (r.host, r.seq)):
        row = rows.setdefault(item.host, HostRow(item.host))
        if item.data is None:
            row.unreadable.append(f"{item.key}: {item.error}")
        else:
            row.history.append(item.data)
    for row in rows.values():
        _judge(row, now)
    return [rows[name] for name in sorted(rows)]


def _judge(row: HostRow, now: datetime) -> None:
    h = row.history
    row.summaries = len(h)
    if row.unreadable:
        _worse(row, WARN, f"{len(row.unreadable)} summaries could not be read")
    if not h:
        _worse(row, UNKNOWN, "no readable summary")
        return
    newest = h[-1]
    row.rpo_target_s = float(newest.get("rpo_target_s") or 0) or None
    row.repository_bytes = newest.get("repository_bytes")
    row.kit_fresh = newest.get("kit_fresh")
    _backups(row, h, now)
    _checks_and_drills(row, h)
    _growth(row, h)
    finished = max((d.get("finished") or "" for d in h), default="")
    if row.rpo_target_s and finished and (_age(now, finished) or 0) > row.rpo_target_s:
        row.silent_since = finished
        _worse(row, CRIT, f"silent since {finished}")
    if row.kit_fresh is False:
        _worse(row, WARN, "the recovery kit is missing or older than the config")


def _backups(row: HostRow, h: list[dict[str, Any]], now: datetime) -> None:
    ok = [d for d in h if d.get("kind") == "backup" and d.get("status") == "ok"]
    if not ok:
        _worse(row, CRIT, "no successful backup")
        return
    row.last_backup = ok[-1].get("finished")
    row.backup_age_s = _age(now, row.last_backup)
    if row.backup_age_s is not None and row.rpo_target_s:
        level = _band(row.backup_age_s, row.rpo_target_s)
        if level:
            age, rpo = human_duration(row.backup_age_s), human_duration(row.rpo_target_s)
            _worse(row, level, f"last backup {age} ago (RPO {rpo})")
    last = [d for d in h if d.get("kind") == "backup"][-1]
    if last.get("status") != "ok":
        _worse(row, WARN, "the last backup failed")


def _checks_and_drills(row: HostRow, h: list[dict[str, Any]]) -> None:
    checks = [d for d in h if d.get("kind") == "check"]
    if checks:
        row.last_check = checks[-1].get("finished")
        row.check_ok = checks[-1].get("status") == "ok" and checks[-1].get("check", {}).get("ok") is not False
        if not row.check_ok:
            _worse(row, CRIT, "the last repository check failed")
    drills = [d for d in h if d.get("kind") == "drill"]
    if drills:
        last = drills[-1]
        drill = last.get("drill") or {}
        row.drill_verdict = drill.get("verdict") or ("fail" if last.get("status") != "ok" else None)
        row.drill_at, row.rto_s, row.coverage = last.get("finished"), drill.get("rto_s"), drill.get("coverage")
        if row.drill_verdict == "fail":
            _worse(row, CRIT, "the last restore drill failed")
        elif row.drill_verdict == "warn":
            _worse(row, WARN, "the last restore drill warned")
    else:
        _worse(row, WARN, "no restore drill yet")


def _growth(row: HostRow, h: list[dict[str, Any]]) -> None:
    sized = [(d.get("finished") or "", d["repository_bytes"]) for d in h if isinstance(d.get("repository_bytes"), int)]
    if len(sized) < 2:
        return
    newest_at, newest = sized[-1]
    limit = datetime.fromisoformat(newest_at) - TREND_WINDOW
    older = [(t, b) for t, b in sized if t and datetime.fromisoformat(t) <= limit] or sized[:1]
    then_at, then = older[-1]
    days = (datetime.fromisoformat(newest_at) - datetime.fromisoformat(then_at)).total_seconds() / 86400
    if then > 0 and days > 0:
        row.growth_per_week = round((newest - then) / then * 7 / days, 4)


def fleet_level(rows: list[HostRow]) -> int:
    """The fleet's Nagios level: its worst host's (UNKNOWN only when nothing worse)."""
    levels = {r.level for r in rows}
    for level in (CRIT, WARN, UNKNOWN):
        if level in levels:
            return level
    return OK if rows else UNKNOWN
