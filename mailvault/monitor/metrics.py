"""Prometheus metrics from the state DB: a textfile for node_exporter after every job, and
`mailvault metrics serve` with the same content on each scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest, write_to_textfile
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mailvault.config.jobs import DUTIES, job_kind
from mailvault.monitor.status import Facts, Status
from mailvault.state.db import RunRecord

JOB_KINDS = tuple(job_kind(j) for j in DUTIES)


def _g(name: str, text: str, value: float | None = None, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value, labels=labels)


def _ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def _duration(run: RunRecord) -> float | None:
    for key in ("duration_s", "total_s"):  # the job's own measure, finer than the history's seconds
        if isinstance(run.summary.get(key), int | float):
            return float(run.summary[key])
    start, end = _ts(run.started), _ts(run.finished)
    return end - start if start is not None and end is not None else None


def families(facts: Facts, status: Status, mailboxes: Iterable[tuple[str, int, int]] | None = None) -> list[Metric]:
    """Every metric, built from ``facts`` (and per-mailbox counts when given)."""
    last_run = _g("mailvault_job_last_run_timestamp_seconds", "When the job's newest run ended.", labels=["job"])
    last_ok = _g("mailvault_job_last_success_timestamp_seconds", "When the job last succeeded.", labels=["job"])
    duration = _g("mailvault_job_last_duration_seconds", "How long the job's newest run took.", labels=["job"])
    outcome = _g("mailvault_job_last_outcome", "1 when the job's newest run succeeded, else 0.", labels=["job"])
    for kind in JOB_KINDS:
        job = facts.jobs.get(kind)
        if job is None:
            continue
        if job.last is not None and job.last.status != "running":
            last_run.add_metric([kind], _ts(job.last.finished) or 0)
            outcome.add_metric([kind], 1 if job.last.status == "ok" else 0)
            took = _duration(job.last)
            if took is not None:
                duration.add_metric([kind], took)
        if job.last_ok is not None:
            last_ok.add_metric([kind], _ts(job.last_ok.finished) or 0)
    found: list[Metric] = [last_run, last_ok, duration, outcome]
    found += _backup(facts)
    found += _drill(facts)
    found += _coverage(facts.coverage)
    if facts.snapshots is not None:
        found.append(_g("mailvault_repository_snapshots", "Snapshots in the repository.", value=facts.snapshots))
    if facts.repo_bytes is not None:
        found.append(_g("mailvault_repository_size_bytes", "Bytes stored in the repository.", value=facts.repo_bytes))
    if facts.kit_fresh is not None:
        found.append(_g(
            "mailvault_kit_fresh", "1 when a recovery kit holds today's secrets.", value=1 if facts.kit_fresh else 0
        ))  # fmt: skip
    found.append(_g(
        "mailvault_status_level", "mailvault status: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN.", value=status.level
    ))  # fmt: skip
    if mailboxes is not None:
        messages = _g("mailvault_mailbox_messages", "Messages per mailbox in the newest snapshot.", labels=["mailbox"])
        size = _g("mailvault_mailbox_bytes", "Bytes per mailbox in the newest snapshot.", labels=["mailbox"])
        for name, count, nbytes in mailboxes:
            messages.add_metric([name], count)
            size.add_metric([name], nbytes)
        found += [messages, size]
    return found


def _backup(facts: Facts) -> list[Metric]:
    job = facts.jobs.get("backup")
    if job is None or job.last is None:
        return []
    newest = job.last.summary
    missed = newest.get("missed") if newest.get("record") == "partial" else 0
    partial = _g("mailvault_backup_missed_messages", "Messages the newest backup's snapshot lacks (a partial backup).",
                 value=float(missed if isinstance(missed, int) else 0))  # fmt: skip
    if job.last_ok is None:
        return [partial]
    s = job.last_ok.summary
    churn = _g("mailvault_backup_churn", "Messages that changed while the newest backup ran, by kind.", labels=["kind"])
    for kind, count in (s.get("churn") or {}).items():
        churn.add_metric([str(kind)], float(count))
    files = _g("mailvault_backup_files", "Files in the newest backup, by state.", labels=["state"])
    for state in ("new", "changed", "unmodified"):
        files.add_metric([state], float(s.get(f"files_{state}", 0)))
    added, read = float(s.get("bytes_added", 0)), float(s.get("bytes_processed", 0))
    return [
        _g("mailvault_backup_added_bytes", "Bytes the newest backup added.", value=added),
        _g("mailvault_backup_processed_bytes", "Bytes the newest backup read.", value=read),
        files,
        churn,
        partial,
    ]


def _drill(facts: Facts) -> list[Metric]:
    job = facts.jobs.get("drill")
    if job is None or job.last is None or job.last.status == "running":
        return []
    s = job.last.summary
    found: list[Metric] = [_g(
        "mailvault_drill_passed", "1 when the newest restore drill passed (or passed with warnings).",
        value=1 if job.last.status == "ok" and s.get("verdict") in ("pass", "warn") else 0,
    )]  # fmt: skip
    for key, name, text in (("rto_s", "mailvault_drill_rto_seconds", "RTO of the newest drill."),
                            ("rpo_s", "mailvault_drill_rpo_seconds", "RPO of the newest drill."),
                            ("repository_bytes_read", "mailvault_drill_repository_read_bytes",
                             "What the newest drill's restore read from the repository (its egress).")):  # fmt: skip
        if isinstance(s.get(key), int | float):
            found.append(_g(name, text, value=float(s[key])))
    controls = s.get("controls")
    caught, _, staged = str(controls.get("caught", "")).partition("/") if isinstance(controls, dict) else ("", "", "")
    if caught.isdecimal() and staged.isdecimal():
        found += [
            _g("mailvault_drill_controls_staged", "Damages staged by the newest drill's negative controls.",
               value=int(staged)),
            _g("mailvault_drill_controls_caught", "Of those, the damages its verifier noticed (all, or it is blind"
               " to some).", value=int(caught)),
        ]  # fmt: skip
    phases = s.get("phases")
    if isinstance(phases, dict) and phases:
        family = _g("mailvault_drill_phase_seconds", "Duration of each phase of the newest drill.", labels=["phase"])
        for phase, seconds in phases.items():
            family.add_metric([str(phase)], float(seconds))
        found.append(family)
    return found


def _coverage(c: dict[str, Any] | None) -> list[Metric]:
    if c is None:
        return []
    return [
        _g("mailvault_drill_coverage_ratio", "Share of the messages drills read back byte for byte in the current"
           " coverage cycle (1 once every message was).", value=float(c["share_proven"])),
        _g("mailvault_drill_coverage_cycle", "The current coverage cycle (drill.full_coverage_every drills each).",
           value=int(c["cycle"])),
        _g("mailvault_drill_coverage_cycles_completed", "Coverage cycles completed: every message read back.",
           value=int(c["cycles_completed"])),
        _g("mailvault_drill_coverage_unproven_mailboxes", "Mailboxes not yet wholly read back in this cycle.",
           value=int(c["mailboxes_unproven"])),
    ]  # fmt: skip


class _Collect(Collector):
    def __init__(self, source: Callable[[], Iterable[Metric]]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield from self._source()


def live_registry(source: Callable[[], Iterable[Metric]]) -> CollectorRegistry:
    """A registry that asks ``source()`` for its metrics on every scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collect(source))
    return registry


def registry_of(metrics: Iterable[Metric]) -> CollectorRegistry:
    fixed = list(metrics)
    return live_registry(lambda: fixed)


def write_textfile(path: Path, metrics: Iterable[Metric]) -> None:
    """Write atomically (prometheus_client writes a temp file and renames it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry_of(metrics))


def exposition(metrics: Iterable[Metric]) -> str:
    return generate_latest(registry_of(metrics)).decode()
