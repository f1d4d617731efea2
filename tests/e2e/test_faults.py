"""Bad input and faults: one clear line, a non-zero exit, the repository and state left consistent."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mailvault.demo import mailstore
from mailvault.demo.seaweed import SeaweedS3
from tests.e2e.conftest import E2E_BUCKET
from tests.e2e.workspace import Workspace, unique_prefix


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_config_error_exits_2_naming_the_key(ws: Workspace) -> None:
    ws.generate()
    ws.config_path.write_text(ws.config_path.read_text().replace("layout =", "layuot ="))
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 2
    assert "sources.layuot: unknown key; did you mean 'layout'?" in _error_line(proc)
    validate = ws.cli("config", "validate", "--json", check=False)
    assert validate.returncode == 2
    assert json.loads(validate.stdout)["problems"] == ["sources.layuot: unknown key; did you mean 'layout'?"]


def test_missing_maildir_root_never_backs_up_nothing(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    missing = ws.root / "gone"
    ws.config_path.write_text(ws.config_path.read_text().replace(str(ws.vmail), str(missing)))
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert f"maildir root {missing} does not exist" in _error_line(proc)
    assert len(json.loads(ws.restic("snapshots", "--json"))) == 1
    assert ws.cli_json("history", "--kind", "backup")[0]["status"] == "failed"


def test_unreadable_message_fails_the_run_and_is_listed(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    victim = next(mailstore.iter_message_paths(ws.vmail))
    os.chown(victim, 4321, 4321)
    victim.chmod(0)
    # Root reads everything; drop the capabilities that let it, as a non-root mail host would run.
    drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
    proc = subprocess.run(
        [*drop, sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "backup", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    line = _error_line(proc)
    assert "backup incomplete: 1 file(s) could not be read" in line and str(victim) in line
    assert json.loads(proc.stdout)["ok"] is False
    assert f"{victim}: open: permission denied" in proc.stderr
    assert ws.cli_json("history", "--kind", "backup")[0]["status"] == "failed"
    ws.cli("check")  # the repository stays consistent
    # the snapshot is marked as such, one pass only (another would read the file no better), and a
    # drill of it fails naming the folder
    snaps = ws.cli_json("snapshots")
    assert [s["state"] for s in snaps] == ["incomplete"]
    report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert report["verdict"] == "fail"
    assert any("is incomplete: 1 file(s) its backup could not read" in f["message"] for f in report["findings"])


def test_unreachable_s3_fails_fast_naming_the_endpoint(ws: Workspace) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws.url = f"s3:http://127.0.0.1:{port}/{E2E_BUCKET}/x"
    ws.generate()
    started = time.monotonic()
    proc = ws.cli("init", check=False)
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert f"S3 endpoint http://127.0.0.1:{port} is unreachable" in _error_line(proc)
    assert elapsed < 30


def test_wrong_s3_credentials(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.write_secret("s3-secret", "not-the-right-secret-key")
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    line = _error_line(proc)
    assert f"S3 endpoint {ws.url.split('/mv-e2e')[0].removeprefix('s3:')} refused" in line
    assert "credentials" in line
    assert "not-the-right-secret-key" not in proc.stderr + proc.stdout


def test_wrong_repository_password(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    ws.write_secret("repository.key", "wrong-password-123")
    for command in ("backup", "snapshots", "check"):
        proc = ws.cli(command, check=False)
        assert proc.returncode == 1
        assert "the repository password was refused" in _error_line(proc)
        assert "wrong-password-123" not in proc.stderr
    assert ws.cli_json("history", "--kind", "backup")[0]["status"] == "failed"


def test_missing_bucket_without_the_right_to_create_it(tmp_path: Path, s3server: SeaweedS3) -> None:
    limited = s3server.identities[1]
    bucket = "mv-nobucket-" + unique_prefix()
    ws = Workspace(tmp_path, f"s3:{s3server.endpoint}/{bucket}/r", password="pw-" + unique_prefix(), identity=limited)
    ws.generate()
    proc = ws.cli("init", check=False)
    assert proc.returncode == 1
    assert f"bucket {bucket} does not exist at {s3server.endpoint} and these credentials may not create it" in (
        _error_line(proc)
    )
    backup = ws.cli("backup", check=False)
    assert backup.returncode == 1
    assert f"bucket {bucket} does not exist" in _error_line(backup)
    assert "run `mailvault init` first" in _error_line(backup)


def test_restic_missing_or_too_old(ws: Workspace) -> None:
    ws.generate()
    ws.write_config(extra='[restic]\nbinary = "/nonexistent/restic"\n')
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert "/nonexistent/restic was not found" in _error_line(proc)
    fake = ws.root / "old-restic"
    fake.write_text("#!/bin/sh\necho 'restic 0.9.6 compiled with go1.13 on linux/amd64'\n")
    fake.chmod(0o755)
    ws.write_config(extra=f'[restic]\nbinary = "{fake}"\n')
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert "restic 0.9.6 is too old; mailvault needs restic 0.14.0 or newer" in _error_line(proc)


def test_init_never_overwrites(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    key = (ws.secrets / "repository.key").read_text()
    again = ws.cli_json("init")
    assert again["repository_created"] is False and again["password_generated"] is False
    assert (ws.secrets / "repository.key").read_text() == key
    assert len(json.loads(ws.restic("snapshots", "--json"))) == 1


def test_init_generates_a_strong_password_file(ws: Workspace) -> None:
    ws.generate()
    (ws.secrets / "repository.key").unlink()
    result = ws.cli_json("init")
    assert result["password_generated"] is True
    key = ws.secrets / "repository.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text().strip()) >= 40
    assert key.read_text().strip() not in ws.cli("backup").stderr


def _big_store(ws: Workspace) -> None:
    ws.generate()
    inbox = ws.vmail / "example.com" / "alice" / "Maildir"
    big = b"Subject: big\n\n" + os.urandom(120 * 1024 * 1024)
    mailstore.deliver(inbox, big, date=mailstore.datetime.now(mailstore.UTC), seq=777, flags="S")


def _group_alive(pgid: int) -> bool:
    """Any process of the group still running (zombies are dead)."""
    from mailvault.execute import pid_alive

    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if len(fields) > 3 and int(fields[3]) == pgid and pid_alive(int(entry.name)):
                return True
    return False


def _restic_locks(ws: Workspace) -> set[str]:
    proc = subprocess.run(["restic", "-r", ws.url, "list", "locks", "--no-lock"], capture_output=True, text=True,
                          env=ws.restic_env())  # fmt: skip
    return set(proc.stdout.split())


def _wait_for_restic_lock(ws: Workspace, before: set[str], timeout: float = 60) -> None:
    """Wait until a restic started by the test holds a lock not in ``before`` (taken before it started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _restic_locks(ws) - before:
            return
        time.sleep(0.2)
    raise AssertionError("restic never took its lock")


def test_second_run_refused_and_sigkill_mid_backup_recovers(ws: Workspace) -> None:
    _big_store(ws)
    ws.cli("init")
    before = _restic_locks(ws)
    slow = ws.root / "restic-at-4-mib-per-s"  # the first backup must still run when the second starts
    slow.write_text('#!/bin/sh\nexec restic --limit-upload 4096 "$@"\n')
    slow.chmod(0o755)
    ws.write_config(extra=f'[restic]\nbinary = "{slow}"\n')
    first = subprocess.Popen(
        [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "backup"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_restic_lock(ws, before)
        started = time.monotonic()
        second = ws.cli("backup", check=False)
        assert second.returncode == 1
        assert "another mailvault run is in progress (backup, pid" in _error_line(second)
        assert time.monotonic() - started < 15
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # mailvault and its restic, as a power cut would
        first.wait()
    deadline = time.monotonic() + 30
    while _group_alive(first.pid) and time.monotonic() < deadline:  # restic may take a moment to die
        time.sleep(0.1)
    assert _restic_locks(ws), "the killed restic left its lock behind"
    ws.write_config(extra="")
    ok = ws.cli("backup", "--json")
    assert "cleared a stale repository lock" in ok.stderr
    assert re.search(r"backup: \d+/\d+ files, .* \(\d+%\), ETA ", ok.stderr), "plain progress lines off a terminal"
    assert json.loads(ok.stdout)["stale_locks_cleared"] == 1
    ws.cli("check")
    statuses = [r["status"] for r in ws.cli_json("history", "--kind", "backup")]
    assert statuses[0] == "ok" and statuses[1] == "interrupted"  # the killed run is not hidden


def test_host_lock_held_elsewhere_refuses_at_once(ws: Workspace) -> None:
    ws.generate()
    ws.state.mkdir(parents=True, exist_ok=True)
    with (ws.state / "mailvault.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("prune, pid 1")
        fh.flush()
        proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert "another mailvault run is in progress (prune, pid 1)" in _error_line(proc)


def test_s3_endpoint_that_hangs_fails_within_30_s(ws: Workspace) -> None:
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections, never answers
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        ws.url = f"s3:http://127.0.0.1:{port}/{E2E_BUCKET}/x"
        ws.generate()
        for command in ("init", "backup"):
            started = time.monotonic()
            proc = ws.cli(command, check=False)
            assert time.monotonic() - started < 30
            assert proc.returncode == 1
            assert f"S3 endpoint http://127.0.0.1:{port} is unreachable: no answer within 5 s" in _error_line(proc)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_hooks_run_around_the_backup(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    marker = ws.root / "hooks.log"
    ws.write_config(
        extra=f'[hooks]\nbefore = ["echo before >> {marker}"]\nafter = ["echo after $MAILVAULT_RESULT >> {marker}"]\n'
    )
    ws.cli("backup")
    assert marker.read_text().split("\n")[:2] == ["before", "after ok"]
    marker.unlink()
    after = f'after = ["echo after $MAILVAULT_RESULT >> {marker}"]\n'
    ws.write_config(extra='[hooks]\nbefore = ["echo flush failed >&2; exit 7"]\n' + after)
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert "before hook 'echo flush failed >&2; exit 7' failed (exit 7): flush failed" in _error_line(proc)
    assert marker.read_text() == "after failed\n"
    assert len(json.loads(ws.restic("snapshots", "--json"))) == 1, "a failed before hook means no snapshot"


def test_ctrl_c_and_sigterm_stop_cleanly_and_are_recorded(ws: Workspace) -> None:
    _big_store(ws)
    ws.cli("init")
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        before = _restic_locks(ws)
        run = subprocess.Popen(
            [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "backup"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for_restic_lock(ws, before)
        run.send_signal(sig)
        _out, err = run.communicate(timeout=60)
        assert run.returncode == code, err
        assert f"interrupted by {sig.name}" in err
        last = ws.cli_json("history", "--kind", "backup")[0]
        assert (last["status"], last["error"]) == ("failed", f"interrupted by {sig.name}")
    assert json.loads(ws.restic("snapshots", "--json")) == [], "no snapshot from an interrupted run"
    ws.cli("backup")
    ws.cli("check")


def test_stale_exclusive_lock_from_a_killed_check_is_cleared_and_the_backup_retried(ws: Workspace) -> None:
    _big_store(ws)
    ws.cli("init")
    ws.cli("backup")
    before = _restic_locks(ws)
    # throttled so that it is surely still running (and holding its exclusive lock) when it is killed
    throttled_check = ["restic", "-r", ws.url, "--limit-download", "64", "check", "--read-data"]
    check = subprocess.Popen(throttled_check, env=ws.restic_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_restic_lock(ws, before)
    finally:
        check.kill()  # SIGKILL: its exclusive lock stays behind
        check.wait()
    proc = ws.cli("backup", "--json")
    assert "cleared a stale repository lock" in proc.stderr
    assert "retrying the backup now that the stale lock is gone" in proc.stderr
    assert json.loads(proc.stdout)["stale_locks_cleared"] == 1
    assert len(json.loads(ws.restic("snapshots", "--json"))) == 2
