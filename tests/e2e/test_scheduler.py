"""The scheduler end to end: `schedule run` with near-future triggers running real backup and check
jobs against SeaweedFS, downtime, SIGTERM mid-job, two daemons; `schedule job` timeouts and failures."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alert_sinks import HttpSink
from tests.e2e.workspace import Workspace

QUIET = "".join(
    f'[schedule.{job}]\ncron = "0 0 1 1 *"\nenabled = false\n' for job in ("prune", "restore_test", "watch")
)


LEAD = 10  # seconds from writing a one-off schedule to its firing


def at(seconds: float) -> str:
    """A six-field (seconds first) schedule firing once, ``seconds`` from now, local time."""
    when = datetime.now() + timedelta(seconds=seconds)
    return f"{when.second} {when.minute} {when.hour} {when.day} {when.month} *"


def scheduled(
    ws: Workspace, *, backup: str, check: str = "0 0 1 1 *", extra: str = "", grace: str = "1s", misfire: str = "12h"
) -> None:
    ws.write_config(extra=(
        f'[schedule]\nstop_grace = "{grace}"\nmisfire_grace = "{misfire}"\n'
        f'[schedule.backup]\ncron = "{backup}"\njitter = "0s"\n'
        f'[schedule.check]\ncron = "{check}"\njitter = "0s"\n' + QUIET + extra
    ))  # fmt: skip


class Daemon:
    def __init__(self, ws: Workspace, log: Path) -> None:
        self.ws, self.log = ws, log
        self.out = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "schedule", "run"],
            stdout=self.out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: b"scheduler running" in log.read_bytes(), 120, "the daemon to start")

    def stop(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.out.close()
        if self.ws.watch is not None:
            self.ws.watch.outputs.append(self.log.read_text())
        return code


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[[Workspace], Daemon]]:
    started: list[Daemon] = []

    def start(ws: Workspace) -> Daemon:
        started.append(Daemon(ws, tmp_path / "daemon.log"))
        return started[-1]

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def runs(ws: Workspace, kind: str) -> list[dict]:  # type: ignore[type-arg]
    if not (ws.state / "state.db").exists():
        return []
    return list(reversed(ws.cli_json("history", "--kind", kind)))


def test_the_daemon_runs_backup_and_check_on_time_and_refuses_a_twin(ws: Workspace, daemons, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws.generate()
    ws.cli("init")
    scheduled(ws, backup=at(12), check=at(20))  # (a daemon started late on a loaded machine misses at(6))
    daemon = daemons(ws)
    twin = ws.cli("schedule", "run", check=False, timeout=30)
    assert twin.returncode == 1 and "another mailvault scheduler is already running" in twin.stderr

    wait_for(lambda: [r["status"] for r in runs(ws, "check")] == ["ok"], 120, "the scheduled check")
    assert [r["status"] for r in runs(ws, "backup")] == ["ok"]
    backup, check = runs(ws, "backup")[0], runs(ws, "check")[0]
    assert backup["started"] < check["started"]
    assert daemon.stop() == 0
    log = daemon.log.read_text()
    assert "backup: started" in log and "backup: ok (exit 0)" in log and "check: ok (exit 0)" in log
    assert "scheduler stopped" in log
    listed = ws.cli_json("schedule", "list")
    assert listed["daemon"] is None, "the lock is free once the daemon is gone"


def test_a_run_missed_while_the_daemon_was_down_runs_once_when_it_is_back(ws: Workspace, daemons) -> None:  # type: ignore[no-untyped-def]
    ws.generate()
    ws.cli("init")
    scheduled(ws, backup=at(6))
    daemons(ws).stop()  # the job is in the persistent store with its next run time; then the host "goes down"
    time.sleep(8)  # ...past the run time
    assert runs(ws, "backup") == []
    back = daemons(ws)
    wait_for(lambda: len(runs(ws, "backup")) >= 1, 120, "the missed backup to run")
    time.sleep(3)
    assert [r["status"] for r in runs(ws, "backup")] == ["ok"], "once, not once per missed time"
    assert back.stop() == 0


def test_a_run_missed_beyond_the_grace_is_reported_not_run(ws: Workspace, daemons) -> None:  # type: ignore[no-untyped-def]
    ws.generate()
    ws.cli("init")
    with HttpSink() as http:
        scheduled(ws, backup=at(5), misfire="2s", extra=f'[alerts.webhook]\nurl = "{http.url}/hook"\n')
        daemons(ws).stop()
        time.sleep(10)
        back = daemons(ws)
        wait_for(lambda: any(r.path == "/hook" for r in http.requests), 120, "the missed-run alert")
        event = json.loads(next(r.body for r in http.requests if r.path == "/hook"))
        assert back.stop() == 0
    assert event["kind"] == "missed_run" and event["job"] == "backup" and "was skipped" in event["summary"]
    assert runs(ws, "backup") == []


def test_sigterm_during_a_job_gives_it_its_grace_then_stops_it_cleanly(ws: Workspace, daemons) -> None:  # type: ignore[no-untyped-def]
    ws.generate()
    ws.cli("init")
    slow = '[hooks]\nbefore = ["sleep 6"]\n'
    # Each schedule fires once, LEAD seconds after it is written: the daemon must be up by then (it
    # computes the next fire time from its start), which took over 4 s with three test workers busy.
    scheduled(ws, backup=at(LEAD), extra=slow, grace="30s")
    daemon = daemons(ws)
    wait_for(lambda: [r["status"] for r in runs(ws, "backup")] == ["running"], 120, "the backup to start")
    assert daemon.stop() == 0  # within its grace the job finishes...
    assert [r["status"] for r in runs(ws, "backup")] == ["ok"]

    scheduled(ws, backup=at(LEAD), extra=slow)  # stop_grace 1 s: the job is asked to stop
    daemon = daemons(ws)
    wait_for(lambda: runs(ws, "backup")[-1]["status"] == "running", 120, "the second backup to start")
    assert daemon.stop() == 0
    last = runs(ws, "backup")[-1]
    assert last["status"] == "failed" and "interrupted by SIGTERM" in last["error"]
    assert ws.cli("status", "--json", check=False).returncode in (0, 1, 2), "the lock is free again"


def test_a_hung_job_is_stopped_at_its_timeout_and_alerted_once(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    with HttpSink() as http:
        ws.write_config(extra=(
            f'[hooks]\nbefore = ["sleep 60"]\n[schedule.backup]\ncron = "30 2 * * *"\ntimeout = "3s"\n'
            f'[alerts.webhook]\nurl = "{http.url}/hook"\n'
        ))  # fmt: skip
        began = time.monotonic()
        proc = ws.cli("schedule", "job", "backup", "--no-jitter", check=False)
        took = time.monotonic() - began
        hooks = [json.loads(r.body) for r in http.requests if r.path == "/hook"]
    assert proc.returncode == 1 and took < 30, (proc.returncode, took)
    last = runs(ws, "backup")[-1]
    assert last["status"] == "failed" and "ran longer than its timeout of 3s" in last["error"]
    failures = [h for h in hooks if h["kind"] == "failure"]
    assert len(failures) == 1 and "timeout of 3s" in failures[0]["summary"], (
        "the job alerts; the runner does not repeat it"
    )


def test_a_job_that_dies_without_a_record_is_alerted_by_the_runner(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    with HttpSink() as http:
        ws.write_config(extra=f'[alerts.webhook]\nurl = "{http.url}/hook"\n')
        ws.state.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(ws.state / "mailvault.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another run holds the host lock: the backup cannot start
            os.pwrite(fd, b"backup, pid 1", 0)
            proc = ws.cli("schedule", "job", "backup", "--no-jitter", "--json", check=False)
        finally:
            os.close(fd)
        hooks = [json.loads(r.body) for r in http.requests if r.path == "/hook"]
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "failed"
    (alert,) = hooks
    assert alert["kind"] == "failure" and "ended with exit code 1 before it could record a run" in alert["summary"]
    assert any("another mailvault run is in progress" in line for line in alert["details"])


def test_a_daemon_whose_state_dir_is_unusable_fails_loudly(ws: Workspace) -> None:
    ws.generate()
    ws.write_config(extra="")
    ws.config_path.write_text(ws.config_path.read_text().replace(f'dir = "{ws.state}"', 'dir = "/dev/null/state"'))
    proc = ws.cli("schedule", "run", check=False, timeout=60)
    assert proc.returncode == 1 and "state dir /dev/null/state is not writable" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
