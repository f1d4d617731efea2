"""The rendered units and cron file, and the committed `schedules/` they must equal."""

from __future__ import annotations

from pathlib import Path

from mailvault.config.schema import Config
from mailvault.schedule import units

ROOT = Path(__file__).parents[3]


def config(**schedule: object) -> Config:
    return Config.model_validate({
        "repository": {"url": "/srv/backup/mail", "password_file": "/etc/mailvault/repository.key"},
        "sources": {"maildirs": ["/var/vmail"]},
        "state": {"dir": "/srv/mailvault-state"},
        "schedule": schedule,
    })  # fmt: skip


def test_the_committed_schedules_are_the_rendered_defaults(tmp_path: Path) -> None:
    written = units.render_defaults(tmp_path)
    for path in written:
        assert (ROOT / "schedules" / path.name).read_text() == path.read_text(), (
            f"schedules/{path.name} is stale: run .venv/bin/python -m mailvault.schedule.units schedules"
        )


def test_services_are_hardened_and_timers_persistent() -> None:
    files = {f.name: f.text for f in units.systemd_units(config(), Path("/etc/mv.toml"), "/usr/bin/mailvault")}
    service, timer = files["mailvault-backup.service"], files["mailvault-backup.timer"]
    for line in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes", "IOSchedulingClass=idle",
                 "CPUSchedulingPolicy=batch", "ReadWritePaths=/srv/mailvault-state",
                 "ExecStart=/usr/bin/mailvault --config /etc/mv.toml schedule job backup --no-jitter"):  # fmt: skip
        assert line in service.splitlines(), line
    assert "TimeoutStartSec=21900s" in service  # 6 h and the runner's 5 min backstop
    for line in ("OnCalendar=*-*-* 02:30:00", "Persistent=true", "RandomizedDelaySec=1800s"):
        assert line in timer.splitlines()
    assert "RuntimeDirectory=mailvault-drill" in files["mailvault-restore-test.service"]


def test_a_disabled_job_has_no_unit_and_no_cron_line() -> None:
    cfg = config(prune={"cron": "0 3 * * 1", "enabled": False})
    names = {f.name for f in units.systemd_units(cfg, Path("/etc/mv.toml"), "/usr/bin/mailvault")}
    assert "mailvault-prune.timer" not in names and "mailvault-backup.timer" in names
    assert " prune" not in units.cron_file(cfg, Path("/etc/mv.toml"), "/usr/bin/mailvault").text


def test_migrate_sync_is_off_until_enabled_and_then_needs_the_accounts_file() -> None:
    import pytest
    from pydantic import ValidationError

    from mailvault.schedule.runner import command

    assert "mailvault-migrate-sync.timer" not in {
        f.name for f in units.systemd_units(config(), Path("/etc/mv.toml"), "/usr/bin/mailvault")
    }
    with pytest.raises(ValidationError, match=r"\[migrate\] accounts is not set"):
        config(migrate_sync={"cron": "*/15 * * * *", "enabled": True})
    cfg = Config.model_validate({
        **config().model_dump(mode="json", exclude_defaults=True),
        "schedule": {"migrate_sync": {"cron": "*/10 * * * *", "enabled": True}},
        "migrate": {"accounts": "/etc/mailvault/migrate/accounts.toml"},
    })  # fmt: skip
    files = {f.name: f.text for f in units.systemd_units(cfg, Path("/etc/mv.toml"), "/usr/bin/mailvault")}
    assert "schedule job migrate-sync --no-jitter" in files["mailvault-migrate-sync.service"]
    assert "OnCalendar=*-*-* *:00,10,20,30,40,50:00" in files["mailvault-migrate-sync.timer"]
    assert command(cfg, "migrate-sync") == ["migrate", "sync", "/etc/mailvault/migrate/accounts.toml"]
