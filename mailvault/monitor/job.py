"""A monitored job run: the recorded run (lock, history) plus what the operator hears of it.

Backup, prune, check and the drill run inside ``job_run``: it sends the start, success and failure
alerts (a failed drill as ``drill_failure``; a failed backup past the RPO also as ``rpo_breach``),
and rewrites the metrics textfile when the run ends, whatever the outcome. Alerts and metrics never
change a run's outcome.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailvault.config.durations import format_duration
from mailvault.errors import CommandFailed, MailvaultError
from mailvault.monitor.events import Event
from mailvault.monitor.facts import REPO_BYTES
from mailvault.state.run import Run, describe, recorded_run

if TYPE_CHECKING:
    from mailvault.config.schema import Config

logger = logging.getLogger(__name__)
JOB_OF_KIND = {"backup": "backup", "prune": "prune", "check": "check", "drill": "restore-test"}
OUTCOME_FILE_ENV = "MAILVAULT_OUTCOME_FILE"  # set by the scheduler's runner: the job says it alerted
TIMEOUT_ENV = "MAILVAULT_TIMEOUT_S"  # set by the runner: the job stops itself cleanly after this many seconds


def _details(exc: BaseException) -> list[str]:
    if isinstance(exc, CommandFailed):
        return list(exc.stderr_tail[-10:])
    if isinstance(exc, MailvaultError):
        return [*exc.details[-10:], *([f"hint: {exc.hint}"] if exc.hint else [])]
    return []


def summary_text(job: str, summary: dict[str, Any]) -> str:
    """One line for a success alert."""
    if job == "backup" and "snapshot_id" in summary:
        return (
            f"snapshot {str(summary['snapshot_id'])[:8]}: {summary.get('files_new', 0)} new and"
            f" {summary.get('files_changed', 0)} changed files, {summary.get('bytes_added', 0)} bytes added"
            f" in {summary.get('duration_s', 0):.0f} s"
        )
    if job == "prune" and "kept" in summary:
        return f"kept {summary['kept']} snapshots, removed {summary.get('removed', 0)}"
    if job == "restore-test" and "verdict" in summary:
        return f"drill {summary['verdict']}, RTO {summary.get('rto_s')} s, RPO {summary.get('rpo_s')} s"
    return f"{job} succeeded"


@contextmanager
def job_run(config: Config, kind: str, *, own_lock: bool = False) -> Iterator[Run]:
    """``recorded_run`` with alerts and metrics (see the module doc)."""
    job = JOB_OF_KIND[kind]
    outcome: Event | None = None
    try:
        with recorded_run(config.state.dir, kind, own_lock=own_lock) as run:
            _deliver(config, Event("start", job, f"{job} started", run_id=run.id))
            try:
                yield run
            except BaseException as exc:
                outcome = Event("failure", job, f"{job} failed: {describe(exc)}", _details(exc), run.id)
                raise
            _note_repository_size(run, kind)
            if run.failure is not None:
                kind_of = "drill_failure" if kind == "drill" else "failure"
                outcome = Event(kind_of, job, run.failure, [], run.id)  # type: ignore[arg-type]
            else:
                outcome = Event("success", job, summary_text(job, run.summary), [], run.id)
    finally:
        if outcome is not None:
            _deliver(config, outcome)
            _mark_outcome(outcome)
            if kind == "backup" and outcome.kind == "failure":
                _rpo_breach(config, outcome)
            write_metrics(config)


def _note_repository_size(run: Run, kind: str) -> None:
    """The repository's size as the run leaves it, in its summary: the report's size over time."""
    if kind in ("backup", "prune", "check") and isinstance(run.summary, dict):
        size = run.db.get(REPO_BYTES)
        if size is not None and size.isdecimal():
            run.summary["repository_bytes"] = int(size)


def _deliver(config: Config, event: Event) -> None:
    from mailvault.monitor.notify import notify

    try:
        notify(config.alerts, config.state.dir, event)
    except Exception as exc:  # notify never raises by design; this is the last guard
        logger.error("alerting failed: %s", exc)


def _mark_outcome(event: Event) -> None:
    path = os.environ.get(OUTCOME_FILE_ENV)
    if path:
        try:
            Path(path).write_text(event.kind + "\n")
        except OSError as exc:
            logger.debug("could not write %s: %s", path, exc)


def _rpo_breach(config: Config, failed: Event) -> None:
    """A failed backup while the newest good one is already older than the RPO target."""
    from mailvault.monitor.facts import gather

    backup = gather(config).jobs.get("backup")
    last_ok = backup.last_ok if backup else None
    age = datetime.now(UTC) - datetime.fromisoformat(last_ok.finished or last_ok.started) if last_ok else None
    if age is None or age > config.targets.rpo:
        since = f"the newest good backup is {age.total_seconds() / 3600:.1f} h old" if age else "no good backup yet"
        target = format_duration(config.targets.rpo)
        breach = Event("rpo_breach", "backup", f"{since}; the RPO target is {target}", [failed.summary], failed.run_id)
        _deliver(config, breach)


def metrics_path(config: Config) -> Path:
    return config.metrics.textfile or config.state.dir / "mailvault.prom"


def current_metrics(config: Config) -> list[Any]:
    from mailvault.monitor.facts import gather, mailbox_counts
    from mailvault.monitor.metrics import families
    from mailvault.monitor.status import evaluate
    from mailvault.state.db import StateDB
    from mailvault.state.paths import StatePaths

    facts = gather(config)
    db_path = StatePaths(config.state.dir).db
    per_mailbox = (
        mailbox_counts(config, StateDB(db_path) if db_path.exists() else None) if config.metrics.per_mailbox else None
    )
    return families(facts, evaluate(facts), per_mailbox)


def write_metrics(config: Config) -> None:
    """Rewrite the metrics textfile; a failure is logged, never raised."""
    from mailvault.monitor.metrics import write_textfile

    path = metrics_path(config)
    try:
        write_textfile(path, current_metrics(config))
    except Exception as exc:
        logger.warning("could not write the metrics file %s: %s", path, exc)
