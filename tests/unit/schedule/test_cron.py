"""Cron schedules: one meaning for APScheduler, systemd and cron."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from mailvault.config import cron

NOW = datetime(2026, 11, 29, 5, 10, tzinfo=UTC)  # a Sunday

EXPRESSIONS = [
    *("30 2 * * *", "0 4 * * 0", "*/15 * * * *", "0 6 * * 1-5", "0 3 1 * *", "0 0 * * */2", "@weekly"),
    *("5 4 * jan,jul sun", "10 20 3 * * *", "0 12 29 2 *", "0 0 * * 7", "0 9 * * mon-fri"),
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_next_runs_agree_with_apscheduler(expr: str) -> None:
    """APScheduler counts weekdays from Monday; the rendering by name keeps cron's meaning."""
    schedule = cron.parse(expr)
    trigger = CronTrigger(timezone=UTC, **cron.apscheduler_fields(schedule))
    ours, theirs = NOW, NOW
    for _ in range(15):
        ours = cron.next_run(schedule, ours)
        theirs = trigger.get_next_fire_time(None, theirs + timedelta(seconds=1))
        assert ours == theirs, expr


def test_weekday_numbers_are_crons() -> None:
    assert cron.next_run(cron.parse("0 4 * * 0"), NOW).strftime("%a %H:%M") == "Sun 04:00"
    assert cron.parse("0 4 * * 7").weekday == cron.parse("0 4 * * sun").weekday == frozenset({0})


def test_renderings() -> None:
    assert cron.to_systemd(cron.parse("30 2 * * *")) == "*-*-* 02:30:00"
    assert cron.to_systemd(cron.parse("0 6 * * 1-5")) == "Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"
    assert cron.to_systemd(cron.parse("*/20 * 1 * *")) == "*-*-01 *:00,20,40:00"
    assert cron.to_systemd(cron.parse("*/10 * * * * *")) == "*-*-* *:*:00,10,20,30,40,50"
    assert cron.to_crontab(cron.parse("@weekly")) == "0 0 * * 0"
    assert cron.to_crontab(cron.parse("0 6 * * mon-fri")) == "0 6 * * 1,2,3,4,5"
    with pytest.raises(ValueError, match="seconds field, which cron cannot run"):
        cron.to_crontab(cron.parse("10 * * * * *"))


def test_cadence_is_the_longest_wait() -> None:
    assert cron.cadence(cron.parse("30 2 * * *"), NOW) == timedelta(days=1)
    assert cron.cadence(cron.parse("0 6 * * 1-5"), NOW) == timedelta(days=3)
    assert cron.cadence(cron.parse("0 7 * * 6"), NOW) == timedelta(days=7)


@pytest.mark.parametrize(("expr", "message"), [
    ("1 2 3", "write five fields"),
    ("61 * * * *", "'61' is not a valid minute (0-59)"),
    ("0 0 1 * mon", "restricts both the day of month and the weekday"),
    ("5-1 * * * *", "runs backwards"),
    ("*/0 * * * *", "step '0' is not valid"),
    ("0 0 * foo *", "not a valid month (1-12 or jan..dec)"),
])  # fmt: skip
def test_bad_schedules_say_what_is_wrong(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        cron.parse(expr)
