"""`mailvault schedule run`: the scheduler daemon, for hosts and containers without systemd.

APScheduler with a persistent job store in the state dir (``schedule.db``): a run that fell due while
the host was down is run once when the daemon is back, if within ``schedule.misfire_grace``
(coalesced, however many were missed), else reported as a missed run. One job at a time
(``max_instances=1`` and a single worker): jobs share the host lock. A job's failure is its own: the
daemon goes on. SIGTERM: no new job starts; a running one gets ``schedule.stop_grace`` to finish,
then is asked to stop (it records itself as interrupted). One daemon per state dir.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from tzlocal import get_localzone

from mailvault.config import cron
from mailvault.config.durations import format_duration
from mailvault.config.schema import Config
from mailvault.errors import LockedError, MailvaultError
from mailvault.keys.secrets import forget_answers
from mailvault.monitor.events import Event
from mailvault.monitor.facts import mark_scheduled, schedules
from mailvault.monitor.notify import flush, notify
from mailvault.schedule.runner import run_job
from mailvault.state.db import StateDB
from mailvault.state.lock import host_lock
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)
TICK = 60.0  # queued alerts are retried this often


@dataclass
class _Context:
    config: Config
    config_path: Path
    stop: threading.Event


_CONTEXT: _Context | None = None


def fire(job: str) -> None:
    """The job store's callable (kept by reference: ``mailvault.schedule.daemon:fire``)."""
    ctx = _CONTEXT
    if ctx is None or ctx.stop.is_set():
        return
    try:
        run_job(ctx.config, ctx.config_path, job, jitter=False, stop=ctx.stop,
                stop_grace=ctx.config.schedule.stop_grace.total_seconds())  # fmt: skip
    except MailvaultError as exc:  # could not even start it: say so, keep the daemon
        logger.error("%s: could not run: %s", job, exc.one_line())
        notify(
            ctx.config.alerts,
            ctx.config.state.dir,
            Event("failure", job, f"{job} could not be started: {exc.one_line()}"),
        )
    finally:  # each job is a run: a secret the daemon asked for is asked again next time (rotated, say)
        forget_answers()


def trigger_for(config: Config, job: str) -> CronTrigger:
    settings = schedules(config)[job]
    jitter = int(settings.jitter.total_seconds()) or None
    return CronTrigger(timezone=get_localzone(), jitter=jitter, **cron.apscheduler_fields(cron.parse(settings.cron)))


def sync_jobs(scheduler: BackgroundScheduler, config: Config) -> list[str]:
    """Make the store hold exactly the enabled jobs. A job whose schedule is unchanged keeps its stored
    next run time, so a run missed while the daemon was down is still due. Return what changed."""
    changes = []
    grace = int(config.schedule.misfire_grace.total_seconds())
    for job, settings in schedules(config).items():
        existing = scheduler.get_job(job)
        if not settings.enabled:
            if existing is not None:
                scheduler.remove_job(job)
                changes.append(f"{job}: removed (disabled)")
            continue
        trigger = trigger_for(config, job)
        if existing is None:
            scheduler.add_job(fire, trigger, id=job, name=job, args=[job], misfire_grace_time=grace,
                              coalesce=True, max_instances=1)  # fmt: skip
            changes.append(f"{job}: added ({settings.cron})")
        elif str(existing.trigger) != str(trigger) or existing.trigger.jitter != trigger.jitter:
            existing.reschedule(trigger)
            changes.append(f"{job}: rescheduled ({settings.cron})")
        if existing is not None and existing.misfire_grace_time != grace:
            existing.modify(misfire_grace_time=grace)
    return changes


def run_daemon(config: Config, config_path: Path, *, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set)."""
    global _CONTEXT
    paths = StatePaths(config.state.dir)
    paths.ensure()
    stop = stop or threading.Event()
    try:
        with host_lock(paths.root / "scheduler.lock", "scheduler"):
            _CONTEXT = _Context(config, config_path.resolve(), stop)
            _serve(config, paths, stop)
    except LockedError as exc:
        raise MailvaultError(
            f"another mailvault scheduler is already running for {paths.root} ({_holder(paths)})",
            hint="stop it first; two daemons would run every job twice",
        ) from exc
    finally:
        _CONTEXT = None


def _holder(paths: StatePaths) -> str:
    try:
        return (paths.root / "scheduler.lock").read_text().strip() or "pid unknown"
    except OSError:
        return "pid unknown"


def _serve(config: Config, paths: StatePaths, stop: threading.Event) -> None:
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{paths.root / 'schedule.db'}")},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        timezone=get_localzone(),
    )
    scheduler.add_listener(lambda e: _missed(config, e), EVENT_JOB_MISSED)
    scheduler.add_listener(lambda e: _crashed(e), EVENT_JOB_ERROR)
    previous = _on_stop_signals(stop)
    scheduler.start(paused=True)
    try:
        for change in sync_jobs(scheduler, config):
            logger.info("schedule: %s", change)
        mark_scheduled(StateDB(paths.db))
        for job in scheduler.get_jobs():
            logger.info("schedule: %s next at %s", job.id, job.next_run_time)
        scheduler.resume()
        logger.info("scheduler running (pid %d); SIGTERM stops it", os.getpid())
        while not stop.wait(TICK):
            flush(config.alerts, config.state.dir)
    finally:
        logger.info("scheduler stopping: no new jobs; a running one may finish")
        scheduler.shutdown(wait=True)  # the running job winds down through `stop` (its grace, then SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("scheduler stopped")


def _on_stop_signals(stop: threading.Event) -> dict[int, Any]:
    def handler(signum: int, frame: object) -> None:
        logger.info("got %s", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _missed(config: Config, event: JobExecutionEvent) -> None:
    when = event.scheduled_run_time
    logger.warning("%s: the run due at %s was missed (the daemon was down longer than its misfire grace)",
                   event.job_id, when)  # fmt: skip
    notify(config.alerts, config.state.dir, Event("missed_run", str(event.job_id), (
        f"{event.job_id} was due at {when:%Y-%m-%d %H:%M %Z} while the scheduler was not running,"
        f" and more than {format_duration(config.schedule.misfire_grace)} ago: it was skipped;"
        " the next run is on schedule"
    )))  # fmt: skip


def _crashed(event: JobExecutionEvent) -> None:
    print(f"{event.job_id}: the scheduler's job wrapper failed: {event.exception!r}", file=sys.stderr)
