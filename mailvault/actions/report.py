"""`mailvault report`: this host's history as one self-contained HTML page, and as JSON.

Read from the state dir alone (the run history, the drill reports, the coverage state): no restic,
no network, so it is written after every backup and drill (``[report] html``) in well under a second.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailvault import netprobe
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.state.paths import StatePaths, write_atomic

if TYPE_CHECKING:  # (imported where used: a backup without [report] html pays nothing for them)
    from mailvault.report.history import HostReport
    from mailvault.state.db import RunRecord

logger = logging.getLogger(__name__)
RUNS = 400  # per kind: about a year of nightly backups


def build(config: Config, now: datetime | None = None) -> HostReport:
    """The report's data from the state dir (an empty history when there is none yet)."""
    from mailvault.monitor.facts import coverage_summary
    from mailvault.report import history
    from mailvault.report.history import HostReport
    from mailvault.state.db import StateDB

    now = now or datetime.now(UTC)
    paths = StatePaths(config.state.dir)
    report = HostReport(
        host=netprobe.hostname(),
        generated=now.isoformat(timespec="seconds"),
        rto_target_s=config.targets.rto.total_seconds(),
        rpo_target_s=config.targets.rpo.total_seconds(),
    )
    if not paths.db.exists():
        return report
    db = StateDB(paths.db)

    def done(kind: str) -> list[RunRecord]:
        return [r for r in reversed(db.runs(kind, RUNS)) if r.status != "running"]

    drills = done("drill")
    backups = [r for r in done("backup") if not r.summary.get("dry_run")]
    report.drills = [history.drill_point(r) for r in drills]
    report.backups = [history.backup_point(r) for r in backups]
    report.sizes = history.sizes([*backups, *done("prune"), *done("check")])
    report.gaps = history.gaps(report.backups, report.generated)
    report.coverage = coverage_summary(paths)
    if drills:
        report.latest_phases = {k: float(v) for k, v in (drills[-1].summary.get("phases") or {}).items()}
        report.latest_findings = _findings(paths, drills[-1])
    return report


def _findings(paths: StatePaths, run: RunRecord) -> list[dict[str, str]]:
    """The drill's findings from its JSON report; its failures and warnings from the history otherwise."""
    try:
        data = json.loads((paths.root / "reports" / f"drill-{run.id}.json").read_text(encoding="utf-8"))
        return [{k: str(f[k]) for k in ("level", "phase", "message")} for f in data["findings"]]
    except (OSError, ValueError, KeyError, TypeError):
        s = run.summary
        return [{"level": "fail", "phase": "-", "message": str(m)} for m in s.get("failures", [])] + [
            {"level": "warn", "phase": "-", "message": str(m)} for m in s.get("warnings", [])
        ]


def target(config: Config, out: Path | None) -> Path:
    """Where the page goes: ``out``, else ``[report] html``, else reports/report.html in the state dir;
    a directory gets index.html."""
    path = out or config.report.html or StatePaths(config.state.dir).root / "reports" / "report.html"
    return path / "index.html" if path.is_dir() or str(path).endswith("/") else path


def write(config: Config, out: Path | None = None) -> tuple[HostReport, Path]:
    """Build the report and write its page; MailvaultError naming the path when it cannot be written."""
    from mailvault.report.page import render

    report = build(config)
    path = target(config, out)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, render(report), mode=0o644)
    except OSError as exc:
        raise MailvaultError(
            f"the report cannot be written to {path}: {exc.strerror}", hint="give another --out or fix [report] html"
        ) from exc
    return report, path


def after_run(config: Config) -> None:
    """``[report] html``: write the page after a backup or a drill; a failure is logged, never raised
    (the job itself is what it is)."""
    if config.report.html is None:
        return
    try:
        _, path = write(config)
        logger.info("report written: %s", path)
    except (MailvaultError, OSError, ValueError) as exc:
        why = exc.one_line() if isinstance(exc, MailvaultError) else str(exc)
        logger.warning("the report could not be written: %s", why)
