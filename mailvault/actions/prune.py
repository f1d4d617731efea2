"""`mailvault prune`: forget snapshots outside the retention policy and free their data."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from mailvault.actions import repo_stats
from mailvault.actions.after_job import after_job
from mailvault.actions.engine import Engine
from mailvault.config.schema import Config
from mailvault.monitor.job import job_run
from mailvault.tools import restic
from mailvault.tools.restic_output import orphan_records, parse_forget

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneResult:
    kept: int
    removed: int
    removed_ids: list[str]
    dry_run: bool
    records_removed: int = 0  # manifests of record forgotten with the snapshots they describe

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def retention(config: Config) -> restic.Retention:
    r = config.retention
    return restic.Retention(r.keep_last, r.keep_daily, r.keep_weekly, r.keep_monthly, r.keep_yearly)


def prune(config: Config, *, dry_run: bool = False) -> PruneResult:
    """Apply the retention policy (``dry_run``: only say what would go)."""
    try:
        result = _prune(config, dry_run=dry_run)
    finally:
        after_job(config, "prune")
    verb = "would remove" if dry_run else "removed"
    logger.info("prune%s: kept %d snapshots, %s %d", " (dry run)" if dry_run else "", result.kept, verb, result.removed)
    return result


def _prune(config: Config, *, dry_run: bool) -> PruneResult:
    with job_run(config, "prune") as run:
        engine = Engine.open(config, deleting=True)
        engine.require_reachable()
        if not dry_run:
            engine.clear_stale_locks()
        done = engine.run(restic.forget_argv(engine.repo, retention(config), dry_run=dry_run), "restic forget")
        parsed = parse_forget(done.stdout)
        records = _forget_orphan_records(engine, dry_run=dry_run)
        result = PruneResult(parsed.kept, parsed.removed, list(parsed.removed_ids), dry_run, records)
        run.summary = result.as_dict()
        if not dry_run:
            repo_stats.measure(engine, run.db)
    return result


def _forget_orphan_records(engine: Engine, *, dry_run: bool) -> int:
    """Forget the manifests of record whose snapshots retention has just forgotten (a dry run forgot
    nothing, so it has none); their few bytes are freed by the next prune."""
    if dry_run:
        return 0
    listed = engine.run(restic.snapshots_argv(engine.repo, records=True), "restic snapshots").stdout
    orphans = orphan_records(listed)
    if orphans:
        engine.run(restic.forget_ids_argv(engine.repo, orphans), "restic forget (manifests of record)")
        logger.info("prune: forgot %d manifest(s) of record with their snapshots", len(orphans))
    return len(orphans)
