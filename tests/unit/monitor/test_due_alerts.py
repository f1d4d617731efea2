"""The watch job's alerts: an RPO breach and missed runs, each once a day while it lasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.actions.status import due_alerts, last_fire, status
from mailvault.config import cron
from mailvault.config.schema import Config
from mailvault.monitor.facts import SCHEDULED_SINCE
from mailvault.state.db import StateDB

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # Sunday noon


def host(tmp_path: Path) -> tuple[Config, StateDB]:
    config = Config.model_validate({
        "repository": {"url": str(tmp_path / "repo"), "password_file": str(tmp_path / "pw")},
        "sources": {"maildirs": [str(tmp_path / "vmail")]},
        "state": {"dir": str(tmp_path / "state")},
    })  # fmt: skip
    (tmp_path / "state").mkdir()
    return config, StateDB(tmp_path / "state" / "state.db")


def record(db: StateDB, kind: str, when: datetime, status: str = "ok") -> None:
    run_id, _ = db.start_run(kind)
    stamp = when.isoformat(timespec="seconds")
    with db._conn() as c:
        c.execute("UPDATE runs SET started=?, finished=?, status=? WHERE id=?", (stamp, stamp, status, run_id))


def test_last_fire() -> None:
    assert last_fire(cron.parse("30 2 * * *"), NOW) == NOW.replace(hour=2, minute=30)
    assert last_fire(cron.parse("0 7 * * 6"), NOW) == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


def test_missed_runs_are_alerted_once_a_day_and_only_after_scheduling(tmp_path: Path) -> None:
    config, db = host(tmp_path)
    record(db, "backup", NOW - timedelta(hours=30))  # last night's 02:30 run never happened
    record(db, "prune", NOW.replace(hour=4, minute=35))  # the weekly ones ran on time
    record(db, "check", NOW.replace(hour=5, minute=35))
    record(db, "drill", datetime(2026, 11, 28, 7, 10, tzinfo=UTC))
    current = status(config, now=NOW).status
    assert [e.kind for e in due_alerts(config, current, NOW)] == ["rpo_breach"], "not scheduled by mailvault yet"

    db.put(SCHEDULED_SINCE, (NOW - timedelta(days=3)).isoformat())
    alerts = due_alerts(config, current, NOW + timedelta(hours=1))
    assert [(e.kind, e.job) for e in alerts] == [("missed_run", "backup")]
    assert "was due at 2026-11-29 02:30" in alerts[0].summary
    assert due_alerts(config, current, NOW + timedelta(hours=2)) == [], "once a day"
    next_day = due_alerts(config, current, NOW + timedelta(hours=26))  # again, and tonight's run missed too
    assert [e.kind for e in next_day] == ["rpo_breach", "missed_run"]


def test_a_fresh_install_without_any_backup_breaches_only_after_an_rpo(tmp_path: Path) -> None:
    config, db = host(tmp_path)
    db.put(SCHEDULED_SINCE, (NOW - timedelta(hours=2)).isoformat())
    current = status(config, now=NOW).status
    assert not [e for e in due_alerts(config, current, NOW) if e.kind == "rpo_breach"]
    later = NOW + timedelta(hours=30)
    assert "rpo_breach" in [e.kind for e in due_alerts(config, status(config, now=later).status, later)]
