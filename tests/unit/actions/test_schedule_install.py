"""`schedule install` refuses to half-install where systemd cannot enable the timers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailvault.actions import schedule
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError


def test_without_systemd_nothing_is_written_unless_no_enable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config.model_validate({
        "repository": {"url": str(tmp_path / "repo"), "password_file": str(tmp_path / "pw")},
        "sources": {"maildirs": [str(tmp_path / "vmail")]},
        "state": {"dir": str(tmp_path / "state")},
        "schedule": {"program": "/bin/true"},
    })  # fmt: skip
    monkeypatch.setattr(schedule, "systemd_running", lambda: False)
    units = tmp_path / "units"
    units.mkdir()
    with pytest.raises(MailvaultError, match="systemd is not running") as caught:
        schedule.install(config, tmp_path / "mv.toml", unit_dir=units)
    assert "--cron" in (caught.value.hint or "") and list(units.iterdir()) == []
    done = schedule.install(config, tmp_path / "mv.toml", unit_dir=units, enable=False)
    assert len(done.written) == 12 and done.commands == [] and len(list(units.iterdir())) == 12
