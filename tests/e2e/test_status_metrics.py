"""`mailvault status` exit codes for each band, and the metrics (textfile and HTTP) after real jobs."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from tests.e2e.workspace import Workspace
from tests.prom import samples

NOT_SCHEDULED = "".join(
    f'[schedule.{job}]\ncron = "0 0 1 1 *"\nenabled = false\n' for job in ("prune", "check", "restore_test")
)


def age_backups(ws: Workspace, hours: float) -> None:
    """As if the newest backup had finished ``hours`` ago."""
    when = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    with sqlite3.connect(ws.state / "state.db") as db:
        db.execute("UPDATE runs SET started=?, finished=? WHERE kind='backup'", (when, when))


def status(ws: Workspace) -> tuple[int, dict]:  # type: ignore[type-arg]
    import json

    proc = ws.cli("status", "--json", check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_status_exit_codes_follow_the_nagios_convention(ws: Workspace) -> None:
    ws.generate()
    ws.write_config(extra=NOT_SCHEDULED)
    ws.cli("init")
    code, report = status(ws)
    assert code == 2 and report["state"] == "CRIT" and "no successful backup yet" in report["headline"]

    ws.cli("backup")
    passphrase = ws.write_secret("kit.pass", "correct horse battery staple " + "k" * 6)
    ws.cli("kit", "export", "--out", str(ws.root / "kit.mvkit"), "--passphrase-file", str(passphrase))
    code, report = status(ws)
    assert (code, report["state"]) == (0, "OK"), report["headline"]
    assert report["headline"] == "MAILVAULT OK - backups, checks and drills on time"

    age_backups(ws, 30)  # the RPO target is 26 h
    code, report = status(ws)
    assert (code, report["state"]) == (1, "WARN") and "last backup 30h ago (RPO target 26h)" in report["headline"]
    age_backups(ws, 60)
    assert status(ws)[0] == 2

    human = ws.cli("status", check=False)
    assert human.returncode == 2 and human.stdout.startswith("MAILVAULT CRIT - last backup 2d 12h ago")

    ws.config_path.write_text(ws.config_path.read_text() + "\n[targets]\nrpo = 'soon'\n")
    broken = ws.cli("status", check=False)
    assert broken.returncode == 3 and broken.stdout.startswith("MAILVAULT UNKNOWN - ")


def test_metrics_after_real_jobs_as_textfile_and_over_http(ws: Workspace) -> None:
    ws.generate()
    textfile = ws.root / "node-exporter" / "mailvault.prom"
    ws.write_config(extra=f'[metrics]\ntextfile = "{textfile}"\nper_mailbox = true\n')
    ws.cli("init")
    ws.cli("backup")
    ws.cli("check")
    got = samples(textfile.read_text())
    assert got[("mailvault_job_last_outcome", (("job", "backup"),))] == 1
    assert got[("mailvault_job_last_outcome", (("job", "check"),))] == 1
    assert got[("mailvault_job_last_duration_seconds", (("job", "backup"),))] > 0
    assert got[("mailvault_repository_snapshots", ())] == 1 and got[("mailvault_repository_size_bytes", ())] > 10_000
    assert got[("mailvault_backup_files", (("state", "new"),))] > 80
    assert got[("mailvault_mailbox_messages", (("mailbox", "bob@example.org"),))] == 20

    ws.write_secret("repository.key", "wrong-" + "w" * 12)
    ws.cli("backup", check=False)
    got = samples(textfile.read_text())
    assert got[("mailvault_job_last_outcome", (("job", "backup"),))] == 0, "a failed run is written too"
    assert got[("mailvault_job_last_success_timestamp_seconds", (("job", "backup"),))] > time.time() - 600

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "metrics", "serve",
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        assert server.wait(timeout=20) == 0, "SIGTERM stops it cleanly"
    served = samples(body)
    assert served[("mailvault_job_last_outcome", (("job", "backup"),))] == 0
    assert served[("mailvault_repository_snapshots", ())] == 1
