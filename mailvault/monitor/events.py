"""What mailvault tells the operator about: job start, success and failure, an RPO breach, a failed
drill, a missed run. Pure data; delivering it is notify.py's job."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mailvault import netprobe
from mailvault.config.jobs import JOBS, job_kind

EventKind = Literal["start", "success", "failure", "rpo_breach", "drill_failure", "missed_run"]
EVENT_KINDS: tuple[EventKind, ...] = ("start", "success", "failure", "rpo_breach", "drill_failure", "missed_run")

__all__ = ["JOBS", "job_kind"]

# The first command to run for each event: the same advice as runbooks/monitoring.md.
FIRST_STEP: dict[EventKind, str] = {
    "start": "nothing to do",
    "success": "nothing to do",
    "failure": "mailvault history --kind {kind} --limit 3   (the error is in the last run)",
    "rpo_breach": "mailvault status   then   mailvault backup",
    "drill_failure": "mailvault history --kind drill --limit 1 --json   (the report lists each finding)",
    "missed_run": "mailvault schedule list   (is the timer or daemon running?)",
}
_TITLES: dict[EventKind, str] = {
    "start": "{job} started",
    "success": "{job} succeeded",
    "failure": "{job} FAILED",
    "rpo_breach": "RPO BREACHED",
    "drill_failure": "restore drill FAILED",
    "missed_run": "{job} did not run",
}


@dataclass(frozen=True)
class Event:
    kind: EventKind
    job: str
    summary: str  # one line, for the operator
    details: list[str] = field(default_factory=list)  # the tail of the log, findings
    run_id: int | None = None
    host: str = field(default_factory=netprobe.fqdn)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def title(self) -> str:
        return f"mailvault on {self.host}: " + _TITLES[self.kind].format(job=self.job)

    @property
    def first_step(self) -> str:
        return FIRST_STEP[self.kind].format(kind=job_kind(self.job))

    @property
    def bad(self) -> bool:
        return self.kind not in ("start", "success")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "title": self.title, "first_step": self.first_step}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(**{k: data[k] for k in ("kind", "job", "summary", "details", "run_id", "host", "time")})

    def text(self) -> str:
        """The plain-text body of a mail or a ping."""
        lines = [self.title, "", self.summary, "", f"When: {self.time}", f"Host: {self.host}"]
        if self.run_id is not None:
            lines.append(f"Run: {job_kind(self.job)} #{self.run_id}")
        if self.details:
            lines += ["", "Details:", *(f"  {line}" for line in self.details)]
        if self.bad:
            lines += ["", f"First step: {self.first_step}"]
        return "\n".join(lines) + "\n"
