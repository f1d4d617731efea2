"""`mailvault schedule install|uninstall|list` on real files, checked by the real systemd-analyze."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.workspace import Workspace

SCHEDULE = """
[schedule.backup]
cron = "15 3 * * *"
jitter = "10m"
[schedule.check]
cron = "0 5 * * mon-fri"
"""


def test_systemd_units_are_written_verified_and_match_schedule_list(local_ws: Workspace, tmp_path: Path) -> None:
    ws = local_ws
    ws.generate()
    ws.write_config(extra=SCHEDULE)
    units = tmp_path / "units"
    units.mkdir()
    result = ws.cli_json("schedule", "install", "--no-enable", "--unit-dir", str(units))
    names = sorted(p.name for p in units.iterdir())
    assert len(names) == 12 and "mailvault-backup.timer" in names and result["commands"] == []
    verify = subprocess.run(
        ["systemd-analyze", "verify", *(str(units / n) for n in names)], capture_output=True, text=True
    )
    assert verify.returncode == 0 and str(units) not in verify.stdout + verify.stderr, verify.stderr
    timer = (units / "mailvault-check.timer").read_text()
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 05:00:00" in timer and "RandomizedDelaySec=1800s" in timer

    listed = {j["job"]: j for j in ws.cli_json("schedule", "list")["jobs"]}
    for job in ("backup", "check"):
        calendar = subprocess.run(
            ["systemd-analyze", "calendar", "--iterations=1",
             timer_line(units / f"mailvault-{job}.timer", "OnCalendar=")],
            capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"},
        ).stdout  # fmt: skip
        systemd_next = next(line for line in calendar.splitlines() if "Next elapse:" in line).split(": ", 1)[1]
        ours = datetime.fromisoformat(listed[job]["next_run"]).astimezone(UTC).strftime("%a %Y-%m-%d %H:%M:%S UTC")
        assert ours == systemd_next.strip(), job


def timer_line(path: Path, key: str) -> str:
    return next(line[len(key) :] for line in path.read_text().splitlines() if line.startswith(key))


def test_dry_run_writes_nothing_and_uninstall_removes_only_ours(local_ws: Workspace, tmp_path: Path) -> None:
    ws = local_ws
    ws.generate()
    units = tmp_path / "units"
    units.mkdir()
    foreign = units / "mailvault-mine.service"
    foreign.write_text("[Service]\nExecStart=/bin/true\n")
    out = ws.cli("schedule", "install", "--dry-run", "--unit-dir", str(units)).stdout
    assert "would write" in out and "[Timer]" in out and sorted(units.iterdir()) == [foreign]
    ws.cli("schedule", "install", "--no-enable", "--unit-dir", str(units))
    assert len(list(units.iterdir())) == 13
    removed = ws.cli_json("schedule", "uninstall", "--unit-dir", str(units))["removed"]
    assert len(removed) == 12 and sorted(units.iterdir()) == [foreign]
    watch = ws.cli("status", "--notify", check=False)  # nothing is scheduled any more: no run is due
    assert watch.returncode in (0, 1, 2) and watch.stdout.startswith("MAILVAULT "), watch.stderr


def test_the_cron_file(local_ws: Workspace, tmp_path: Path) -> None:
    ws = local_ws
    ws.generate()
    ws.write_config(extra=SCHEDULE)
    cron_file = tmp_path / "cron.d" / "mailvault"
    cron_file.parent.mkdir()
    ws.cli("schedule", "install", "--cron", "--cron-file", str(cron_file))
    lines = [
        line for line in cron_file.read_text().splitlines() if line and not line.startswith(("#", "SHELL", "PATH"))
    ]
    assert lines[0].startswith("15 3 * * * root ") and lines[0].endswith(
        f"--config {ws.config_path} schedule job backup"
    )
    assert lines[2].startswith("0 5 * * 1,2,3,4,5 root ")
    assert oct(cron_file.stat().st_mode & 0o777) == "0o644"
    ws.cli("schedule", "uninstall", "--cron", "--cron-file", str(cron_file))
    assert not cron_file.exists()


def test_a_bad_schedule_is_named_by_config_validate(local_ws: Workspace) -> None:
    ws = local_ws
    ws.generate()
    ws.write_config(extra='[schedule.check]\ncron = "0 5 1 * mon"\n[schedule.prune]\ncron = "0 25 * * *"\n')
    proc = ws.cli("config", "validate", check=False)
    assert proc.returncode == 2
    out = proc.stdout + proc.stderr
    assert "schedule.check.cron" in out and "restricts both the day of month and the weekday" in out
    assert "schedule.prune.cron" in out and "'25' is not a valid hour (0-23)" in out
    assert ws.cli("schedule", "list", check=False).returncode == 2, "every command refuses the bad config"
