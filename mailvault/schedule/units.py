"""Rendering the schedule for the host's own timers: systemd service and timer units, a cron file (pure).

Every unit runs ``mailvault schedule job NAME``, the same runner the daemon uses: the job's timeout,
its alert when it dies without saying why, the same history. Services are hardened: a read-only
system except the state and cache dirs, private /tmp, no new privileges, idle I/O and batch CPU.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from mailvault.config import cron
from mailvault.config.durations import format_duration
from mailvault.config.schema import Config, JobSchedule
from mailvault.config.where import FALLBACK_STATE_DIR

HEADER = "# Written by `mailvault schedule install` from {config}: edit the config and install again.\n"
MARK = "Written by `mailvault schedule install`"
DESCRIPTIONS = {
    "backup": "mailvault backup (maildirs, config and keys to the repository)",
    "prune": "mailvault prune (forget and prune by the retention policy)",
    "check": "mailvault check (repository integrity, a share of the data read)",
    "restore-test": "mailvault restore-test (verified restore drill)",
    "restore-test-oldest": "mailvault restore-test --snapshot oldest-kept (drill of the oldest snapshot kept)",
    "watch": "mailvault status --notify (RPO breaches and missed runs)",
    "migrate-sync": "mailvault migrate sync (a provider switch's overlap)",
}
UNIT_PREFIX = "mailvault-"


@dataclass(frozen=True)
class File:
    name: str
    text: str


def jobs(config: Config) -> list[tuple[str, JobSchedule]]:
    """The enabled jobs, in a fixed order."""
    from mailvault.monitor.facts import schedules

    return [(name, job) for name, job in schedules(config).items() if job.enabled]


def _seconds(value: float) -> str:
    return f"{int(value)}s"


def job_argv(program: str, config_path: Path, name: str) -> list[str]:
    return [program, "--config", str(config_path), "schedule", "job", name]


def systemd_units(config: Config, config_path: Path, program: str) -> list[File]:
    head = HEADER.format(config=config_path)
    state = config.state.dir
    files: list[File] = []
    for name, job in jobs(config):
        unit = f"{UNIT_PREFIX}{name}"
        argv = [*job_argv(program, config_path, name), "--no-jitter"]
        stop = job.timeout.total_seconds() + 300  # the runner stops the job at its timeout; this is the backstop
        writable = "" if state == FALLBACK_STATE_DIR else f"ReadWritePaths={state}\n"
        if config.restic.cache_dir is not None:
            writable += f"ReadWritePaths={config.restic.cache_dir}\n"
        if name.startswith("restore-test"):  # `--runtime local` mounts the drill's dirs there, in its own namespace
            writable += "RuntimeDirectory=mailvault-drill\n"
        service = (
            f"{head}[Unit]\nDescription={DESCRIPTIONS[name]}\n"
            "Wants=network-online.target\nAfter=network-online.target\n"
            f"ConditionPathExists={config_path}\n\n"
            "[Service]\nType=oneshot\n"
            f"ExecStart={shlex.join(argv)}\n"
            f"TimeoutStartSec={_seconds(stop)}\n"
            "Environment=XDG_CACHE_HOME=/var/cache/mailvault\n"
            "StateDirectory=mailvault\nCacheDirectory=mailvault\n"
            f"{writable}"
            "Nice=10\nIOSchedulingClass=idle\nCPUSchedulingPolicy=batch\n"
            "ProtectSystem=strict\nProtectHome=read-only\nPrivateTmp=yes\nNoNewPrivileges=yes\n"
            "ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectControlGroups=yes\n"
            "RestrictSUIDSGID=yes\nLockPersonality=yes\nUMask=0077\n"
        )
        timer = (
            f"{head}[Unit]\nDescription={DESCRIPTIONS[name]}, on schedule ({job.cron})\n\n"
            f"[Timer]\nOnCalendar={cron.to_systemd(cron.parse(job.cron))}\n"
            f"Persistent=true\nRandomizedDelaySec={_seconds(job.jitter.total_seconds())}\n"
            f"AccuracySec=1min\nUnit={unit}.service\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
        files += [File(f"{unit}.service", service), File(f"{unit}.timer", timer)]
    return files


def cron_file(config: Config, config_path: Path, program: str) -> File:
    """/etc/cron.d/mailvault: one line a job, as root; the runner adds the jitter and the timeout."""
    lines = [HEADER.format(config=config_path).rstrip("\n"), "SHELL=/bin/sh", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", ""]
    for name, job in jobs(config):
        fields = cron.to_crontab(cron.parse(job.cron))
        lines.append(f"{fields} root {shlex.join(job_argv(program, config_path, name))}")
    return File("mailvault", "\n".join(lines) + "\n")


DEFAULT_CONFIG_PATH = Path("/etc/mailvault/mailvault.toml")
DEFAULT_PROGRAM = "/usr/local/bin/mailvault"


def daemon_unit(config_path: Path, program: str, stop_grace: float) -> File:
    """For `schedule run` under systemd instead of the timers: SIGTERM reaches the daemon only
    (KillMode=mixed), so a running job gets its grace before it is stopped."""
    text = (
        f"{HEADER.format(config=config_path)}[Unit]\nDescription=mailvault scheduler daemon (instead of the timers)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        f"[Service]\nExecStart={shlex.join([program, '--config', str(config_path), 'schedule', 'run'])}\n"
        f"KillMode=mixed\nTimeoutStopSec={_seconds(stop_grace + 60)}\nRestart=on-failure\nRestartSec=30s\n"
        "Environment=XDG_CACHE_HOME=/var/cache/mailvault\nStateDirectory=mailvault\nCacheDirectory=mailvault\n"
        "RuntimeDirectory=mailvault-drill\nNice=10\nIOSchedulingClass=idle\n"
        "ProtectSystem=strict\nProtectHome=read-only\nPrivateTmp=yes\nNoNewPrivileges=yes\nUMask=0077\n\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )
    return File("mailvault-scheduler.service", text)


def default_files(config: Config) -> list[File]:
    """What `schedules/` in the source tree holds: the default schedule for the default paths."""
    units = systemd_units(config, DEFAULT_CONFIG_PATH, DEFAULT_PROGRAM)
    daemon = daemon_unit(DEFAULT_CONFIG_PATH, DEFAULT_PROGRAM, config.schedule.stop_grace.total_seconds())
    plan = "".join(
        f"{name:20s} {job.cron:14s} jitter {format_duration(job.jitter):4s} timeout {format_duration(job.timeout)}\n"
        for name, job in jobs(config)
    )
    schedule = File("default-schedule.txt", "# job                cron           (the [schedule] defaults)\n" + plan)
    return [*units, daemon, cron_file(config, DEFAULT_CONFIG_PATH, DEFAULT_PROGRAM), schedule]


def render_defaults(directory: Path) -> list[Path]:
    """Write `schedules/` (`python -m mailvault.schedule.units DIR`)."""
    from mailvault.config.schema import Config

    config = Config.model_validate({
        "repository": {"url": "/srv/backup/mail", "password_file": "/etc/mailvault/repository.key"},
        "sources": {"maildirs": ["/var/vmail"]},
        "state": {"dir": str(FALLBACK_STATE_DIR)},  # the packaged default, whatever this shell has set
    })  # fmt: skip
    written = []
    for f in default_files(config):
        (directory / f.name).write_text(f.text)
        written.append(directory / f.name)
    return written


if __name__ == "__main__":
    import sys

    for path in render_defaults(Path(sys.argv[1])):
        print(path)
