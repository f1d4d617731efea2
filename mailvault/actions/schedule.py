"""`mailvault schedule install|uninstall|list`: putting the jobs on the host's own timers."""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mailvault import execute
from mailvault.config.durations import format_duration
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.monitor.facts import SCHEDULED_SINCE, mark_scheduled, next_run, schedules
from mailvault.schedule import units
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths, write_atomic

Kind = Literal["systemd", "cron"]
UNIT_DIR = Path("/etc/systemd/system")
CRON_FILE = Path("/etc/cron.d/mailvault")


@dataclass
class InstallResult:
    kind: Kind
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # systemctl calls made (or, with --dry-run, to be made)
    dry_run: bool = False
    files: dict[str, str] = field(default_factory=dict)  # name -> content (for --dry-run)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": True, "kind": self.kind, "written": self.written, "removed": self.removed,
                "commands": self.commands, "dry_run": self.dry_run, "files": self.files}  # fmt: skip


def default_program(config: Config) -> str:
    """The command the timers run: the configured one, else this installation's `mailvault`."""
    if config.schedule.program:
        return config.schedule.program
    beside = Path(sys.executable).parent / "mailvault"
    found = str(beside) if beside.exists() else shutil.which("mailvault")
    return found or f"{sys.executable} -m mailvault"


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


def install(
    config: Config,
    config_path: Path,
    *,
    kind: Kind = "systemd",
    unit_dir: Path = UNIT_DIR,
    cron_path: Path = CRON_FILE,
    enable: bool = True,
    dry_run: bool = False,
) -> InstallResult:
    program = default_program(config)
    config_path = config_path.resolve()
    result = InstallResult(kind, dry_run=dry_run)
    if kind == "cron":
        rendered = units.cron_file(config, config_path, program)
        result.files[str(cron_path)] = rendered.text
        if not dry_run:
            _writable(cron_path.parent, "the cron directory")
            write_atomic(cron_path, rendered.text, mode=0o644)
            _mark_scheduled(config)
        result.written.append(str(cron_path))
        return result
    files = units.systemd_units(config, config_path, program)
    _verify(files, program)
    wanted = {f.name for f in files}
    stale = [p for p in _ours(unit_dir) if p.name not in wanted]
    timers = [f.name for f in files if f.name.endswith(".timer")]
    calls: list[tuple[str, ...]] = []
    if enable:
        calls = [("systemctl", "daemon-reload"),
                 *(("systemctl", "disable", "--now", p.name) for p in stale if p.suffix == ".timer"),
                 *(("systemctl", "enable", "--now", t) for t in timers)]  # fmt: skip
        result.commands = [shlex.join(argv) for argv in calls]
    for f in files:
        result.files[str(unit_dir / f.name)] = f.text
        result.written.append(str(unit_dir / f.name))
    result.removed = [str(p) for p in stale]
    if dry_run:
        return result
    if enable and not systemd_running():
        raise MailvaultError(
            "systemd is not running on this host, so its timers cannot be enabled",
            hint="use `mailvault schedule install --cron` or `mailvault schedule run`,"
            " or add --no-enable to only write the units",
        )
    _writable(unit_dir, "the unit directory")
    for f in files:
        write_atomic(unit_dir / f.name, f.text, mode=0o644)
    for path in stale:
        path.unlink(missing_ok=True)
    for argv in calls:
        execute.run(argv, what=shlex.join(argv), timeout=120)
    _mark_scheduled(config)
    return result


def uninstall(
    config: Config, *, kind: Kind = "systemd", unit_dir: Path = UNIT_DIR, cron_path: Path = CRON_FILE
) -> InstallResult:
    result = InstallResult(kind)
    if kind == "cron":
        if cron_path.exists() and units.MARK in cron_path.read_text(errors="replace"):
            cron_path.unlink()
            result.removed.append(str(cron_path))
    else:
        ours = _ours(unit_dir)
        if systemd_running():
            calls = [("systemctl", "disable", "--now", p.name) for p in ours if p.suffix == ".timer"]
            result.commands = [shlex.join(argv) for argv in calls]
            for argv in calls:
                execute.run(argv, what=shlex.join(argv), timeout=120, check=False)
        for path in ours:
            path.unlink(missing_ok=True)
            result.removed.append(str(path))
        if systemd_running() and ours:
            execute.run(("systemctl", "daemon-reload"), what="systemctl daemon-reload", timeout=120)
            result.commands.append("systemctl daemon-reload")
    paths = StatePaths(config.state.dir)
    if paths.db.exists() and not _ours(unit_dir) and not cron_path.exists():
        StateDB(paths.db).delete(SCHEDULED_SINCE)  # nothing runs the jobs now: no run is due
    return result


def _ours(unit_dir: Path) -> list[Path]:
    if not unit_dir.is_dir():
        return []
    return sorted(
        p for p in unit_dir.glob(f"{units.UNIT_PREFIX}*")
        if p.suffix in (".service", ".timer") and units.MARK in p.read_text(errors="replace")
    )  # fmt: skip


def _writable(directory: Path, what: str) -> None:
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise MailvaultError(f"{what} {directory} does not exist or is not writable",
                             hint="run as root, or pass another directory")  # fmt: skip


def _verify(files: list[units.File], program: str) -> None:
    """`systemd-analyze verify` on the rendered units, before any is installed."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    with tempfile.TemporaryDirectory(prefix="mailvault-units-") as scratch:
        for f in files:
            (Path(scratch) / f.name).write_text(f.text)
        done = execute.run((analyze, "verify", *(str(Path(scratch) / f.name) for f in files)),
                           what="systemd-analyze verify", check=False, timeout=120)  # fmt: skip
    problems = [line for line in (done.stdout + done.stderr).splitlines() if scratch in line or "mailvault" in line]
    if done.returncode != 0 or problems:
        raise MailvaultError(
            "the rendered systemd units do not pass `systemd-analyze verify`",
            hint=f"check schedule.program ({program}) and the schedules in the config",
            details=problems or (done.stdout + done.stderr).splitlines()[-5:],
        )


def _mark_scheduled(config: Config) -> None:
    paths = StatePaths(config.state.dir)
    paths.ensure()
    mark_scheduled(StateDB(paths.db))


@dataclass(frozen=True)
class JobRow:
    job: str
    cron: str
    enabled: bool
    next_run: str | None
    jitter: str
    timeout: str


def listing(config: Config, now: datetime | None = None) -> tuple[list[JobRow], dict[str, Any]]:
    """Every job with its next run time (local), and where the schedule is installed."""
    now = now or datetime.now(UTC)
    rows = []
    for name, job in schedules(config).items():
        when = next_run(job, now)
        rows.append(JobRow(name, job.cron, job.enabled, when.isoformat(timespec="minutes") if when else None,
                           format_duration(job.jitter), format_duration(job.timeout)))  # fmt: skip
    return rows, {
        "systemd_units": [str(p) for p in _ours(UNIT_DIR)],
        "cron_file": str(CRON_FILE)
        if CRON_FILE.exists() and units.MARK in CRON_FILE.read_text(errors="replace")
        else None,
        "daemon": daemon_pid(config),
    }


def daemon_pid(config: Config) -> str | None:
    """Who holds the scheduler's lock, when a daemon runs for this state dir."""
    lock = StatePaths(config.state.dir).root / "scheduler.lock"
    if not lock.exists():
        return None
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return lock.read_text().strip() or "running"
    finally:
        os.close(fd)
    return None
