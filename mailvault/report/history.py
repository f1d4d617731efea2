"""What the host report shows, from the run history: drills, backups, repository sizes, the gaps
between backups. Pure: the runs come in as records, the result goes out as JSON or to the page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from mailvault.state.db import RunRecord

VERSION = 1
GAPS_SHOWN = 5


@dataclass(frozen=True)
class DrillPoint:
    run_id: int
    started: str
    verdict: str  # pass | warn | fail | interrupted
    rto_s: float | None
    rpo_s: float | None
    mail_flows_s: float | None  # the canary's arrival: the second RTO
    total_s: float | None
    coverage: float | None  # share of the messages proven in the cycle after this drill (0..1)
    snapshot_id: str | None


@dataclass(frozen=True)
class BackupPoint:
    run_id: int
    started: str
    status: str  # ok | failed | interrupted
    duration_s: float | None
    bytes_added: int | None
    messages: int | None


@dataclass(frozen=True)
class SizePoint:
    at: str
    bytes: int


@dataclass(frozen=True)
class Gap:
    after: str  # the backup the gap follows
    before: str | None  # the next one (None: none yet, the gap runs to the report's time)
    seconds: float


@dataclass
class HostReport:
    host: str
    generated: str
    rto_target_s: float
    rpo_target_s: float
    drills: list[DrillPoint] = field(default_factory=list)  # oldest first
    backups: list[BackupPoint] = field(default_factory=list)  # oldest first
    sizes: list[SizePoint] = field(default_factory=list)  # oldest first
    gaps: list[Gap] = field(default_factory=list)  # largest first
    coverage: dict[str, Any] | None = None  # drill.coverage summary() as the last drill left it
    latest_phases: dict[str, float] = field(default_factory=dict)
    latest_findings: list[dict[str, str]] = field(default_factory=list)  # level, phase, message

    def as_dict(self) -> dict[str, Any]:
        return {"format": "mailvault-host-report", "version": VERSION, **asdict(self)}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def drill_point(run: RunRecord) -> DrillPoint:
    s = run.summary
    verdict = str(s.get("verdict", "fail")) if run.status in ("ok", "failed") else run.status
    coverage, canary = _dict(s.get("coverage")), _dict(s.get("canary"))
    return DrillPoint(
        run_id=run.id,
        started=run.started,
        verdict=verdict,
        rto_s=_num(s.get("rto_s")),
        rpo_s=_num(s.get("rpo_s")),
        mail_flows_s=_num(canary.get("arrived_s")),
        total_s=_num(s.get("total_s")),
        coverage=_num(coverage.get("share_proven")),
        snapshot_id=s.get("snapshot_id") if isinstance(s.get("snapshot_id"), str) else None,
    )


def backup_point(run: RunRecord) -> BackupPoint:
    s = run.summary
    manifest = _dict(s.get("manifest"))
    added = _num(s.get("bytes_added"))
    messages = _num(manifest.get("messages"))
    return BackupPoint(
        run_id=run.id,
        started=run.started,
        status=run.status,
        duration_s=_num(s.get("duration_s")),
        bytes_added=int(added) if added is not None else None,
        messages=int(messages) if messages is not None else None,
    )


def sizes(runs: list[RunRecord]) -> list[SizePoint]:
    """The repository's stored size after each run that knew it (backup, prune, check), oldest first."""
    found = []
    for run in sorted(runs, key=lambda r: r.id):
        size = _num(run.summary.get("repository_bytes"))
        if size is not None:
            found.append(SizePoint(run.finished or run.started, int(size)))
    return found


def gaps(backups: list[BackupPoint], now: str, *, shown: int = GAPS_SHOWN) -> list[Gap]:
    """The largest stretches without a successful backup, the one still open included.

    >>> b = [BackupPoint(i, t, "ok", 1.0, 1, 1) for i, t in enumerate(
    ...     ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-05T00:00:00+00:00"])]
    >>> [(g.after[:10], g.seconds / 3600) for g in gaps(b, "2026-01-05T06:00:00+00:00", shown=2)]
    [('2026-01-02', 72.0), ('2026-01-01', 24.0)]
    """
    times = sorted(b.started for b in backups if b.status == "ok")

    def apart(a: str, b: str) -> float:
        return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()

    found = [Gap(a, b, apart(a, b)) for a, b in pairwise(times)]
    if times:
        found.append(Gap(times[-1], None, apart(times[-1], now)))
    return sorted(found, key=lambda g: -g.seconds)[:shown]
