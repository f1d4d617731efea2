"""Running one scheduled job: the same for systemd timers, cron and the daemon.

The job runs as a child `mailvault ... JOB` in a process group of its own, with its output passed
through (to the journal). Its timeout is enforced twice: the child stops itself cleanly at the
timeout (SIGALRM, recorded as a failure and alerted like any other), and the runner kills what is
left a minute later. A child that ends badly without having said so (a config error, another run
holding the lock, a crash) is alerted by the runner, with the tail of its output.
"""

from __future__ import annotations

import collections
import logging
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute
from mailvault.config.durations import format_duration
from mailvault.config.schema import Config
from mailvault.monitor.events import Event
from mailvault.monitor.facts import schedules
from mailvault.monitor.job import OUTCOME_FILE_ENV, TIMEOUT_ENV
from mailvault.monitor.notify import notify
from mailvault.monitor.status import UNKNOWN

logger = logging.getLogger(__name__)
KILL_AFTER = 60.0  # then the runner kills what is left


def command(config: Config, job: str) -> list[str]:
    """The mailvault arguments that run ``job``."""
    if job == "migrate-sync":
        servers = ["--servers", str(config.migrate.servers)] if config.migrate.servers else []
        return ["migrate", "sync", str(config.migrate.accounts), *servers]
    return COMMANDS[job]


COMMANDS = {
    "backup": ["backup"],
    "prune": ["prune"],
    "check": ["check"],
    "restore-test": ["restore-test"],
    "restore-test-oldest": ["restore-test", "--snapshot", "oldest-kept"],
    "watch": ["status", "--notify"],
}
FINE = {
    "restore-test": {0, 1, 2},
    "restore-test-oldest": {0, 1, 2},
    "watch": set(range(UNKNOWN + 1)),
}  # a failed drill alerts by itself


@dataclass(frozen=True)
class JobOutcome:
    job: str
    status: str  # ok | failed | timed out | stopped
    exit_code: int | None
    seconds: float
    alerted_by_job: bool


def program() -> list[str]:
    """How to start mailvault again: this interpreter and package (works from a venv or a wheel)."""
    return [sys.executable, "-m", "mailvault"]


def run_job(
    config: Config,
    config_path: Path,
    job: str,
    *,
    jitter: bool = True,
    stop: threading.Event | None = None,
    stop_grace: float | None = None,
) -> JobOutcome:
    """Run ``job`` now (after its random jitter when ``jitter``), wait for it, report how it ended.

    ``stop``: set by the daemon on SIGTERM; the job then has ``stop_grace`` seconds to finish before it
    is asked to stop (SIGTERM: it records itself as interrupted), then killed.
    """
    settings = schedules(config)[job]
    stop = stop or threading.Event()
    if jitter and settings.jitter.total_seconds() > 0:
        delay = random.uniform(0, settings.jitter.total_seconds())
        logger.info("%s: starting in %.0f s (random jitter up to %s)", job, delay, format_duration(settings.jitter))
        if stop.wait(delay):
            return JobOutcome(job, "stopped", None, 0.0, False)
    timeout = settings.timeout.total_seconds()
    tail: collections.deque[str] = collections.deque(maxlen=20)

    def line(text: str) -> None:
        tail.append(text)
        print(f"{job}: {text}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="mailvault-job-") as scratch:
        marker = Path(scratch) / "outcome"
        env = {**os.environ, OUTCOME_FILE_ENV: str(marker), TIMEOUT_ENV: str(int(timeout))}
        argv = (*program(), "--config", str(config_path), *command(config, job))
        began = time.monotonic()
        logger.info("%s: started", job)
        child = execute.Supervised(argv, on_line=line, env=env)
        code, status = _wait(child, timeout, stop, stop_grace)
        seconds = time.monotonic() - began
        alerted = marker.exists()
    ok = code is not None and (code == 0 or code in FINE.get(job, set()))
    status = status or ("ok" if ok else "failed")
    logger.info("%s: %s (exit %s) after %.1f s", job, status, code, seconds)
    if not ok and not alerted and status != "stopped":
        why = (
            f"was killed: still running {KILL_AFTER:.0f} s after its timeout of {format_duration(settings.timeout)}"
            if status == "timed out"
            else f"ended with exit code {code} before it could record a run"
        )
        notify(config.alerts, config.state.dir, Event("failure", job, f"{job} {why}", list(tail)))
    return JobOutcome(job, status, code, round(seconds, 3), alerted)


def _wait(
    child: execute.Supervised, timeout: float, stop: threading.Event, stop_grace: float | None
) -> tuple[int | None, str | None]:
    deadline = time.monotonic() + timeout + KILL_AFTER
    while True:
        code = child.wait(timeout=0.5)
        if code is not None:
            return code, None
        if time.monotonic() > deadline:
            child.signal(signal.SIGKILL)
            return child.wait(), "timed out"
        if stop.is_set():
            return _wind_down(child, stop_grace or 0.0)


def _wind_down(child: execute.Supervised, grace: float) -> tuple[int | None, str | None]:
    """Let the job finish within ``grace``; then SIGTERM (it records itself as interrupted); then kill."""
    logger.info("stopping: letting the running job finish (up to %.0f s)", grace)
    code = child.wait(timeout=grace)
    if code is not None:
        return code, None
    logger.warning("the running job did not finish in %.0f s: stopping it (it records itself as interrupted)", grace)
    child.signal(signal.SIGTERM)
    code = child.wait(timeout=30)
    if code is None:
        child.signal(signal.SIGKILL)
        code = child.wait()
    return code, "stopped"
