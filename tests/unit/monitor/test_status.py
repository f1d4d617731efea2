"""`mailvault status` judgement: bands, failures, the Nagios level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mailvault.monitor.status import CRIT, OK, UNKNOWN, WARN, Facts, Item, JobFacts, Status, evaluate
from mailvault.state.db import RunRecord

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def run(rid: int, kind: str, age: timedelta, status: str = "ok", error: str | None = None, **summary: Any) -> RunRecord:
    when = (NOW - age).isoformat(timespec="seconds")
    return RunRecord(rid, kind, when, when, status, summary, error)


def facts(**jobs: JobFacts) -> Facts:
    base = {
        "backup": JobFacts(run(9, "backup", timedelta(hours=3)), run(9, "backup", timedelta(hours=3)), DAY),
        "check": JobFacts(run(8, "check", DAY), run(8, "check", DAY), WEEK),
        "prune": JobFacts(run(7, "prune", DAY), run(7, "prune", DAY), WEEK),
        "drill": JobFacts(
            run(6, "drill", 2 * DAY, verdict="pass", rto_s=60.0), run(6, "drill", 2 * DAY, verdict="pass"), WEEK
        ),
    }
    return Facts(now=NOW, rpo=timedelta(hours=26), rto=timedelta(hours=1), jobs={**base, **jobs},
                 grace=timedelta(hours=1), snapshots=12, repo_bytes=5 * 2**30, repo_measured="2026-11-28",
                 kit_fresh=True, kit_text="the kit is current")  # fmt: skip


def level(status: Status, name: str) -> int:
    return next(i.level for i in status.items if i.name == name)


def test_all_on_time_is_ok() -> None:
    status = evaluate(facts())
    assert status.level == OK and status.headline().startswith("MAILVAULT OK - ")


def test_backup_age_bands_against_the_rpo() -> None:
    for hours, expected in ((25, OK), (30, WARN), (52, WARN), (53, CRIT)):
        last = run(9, "backup", timedelta(hours=hours))
        status = evaluate(facts(backup=JobFacts(last, last, DAY)))
        assert level(status, "backup") == expected, hours
    assert evaluate(facts(backup=JobFacts(None, None, DAY))).level == CRIT


def test_a_failed_backup_after_a_good_one_warns_with_its_error() -> None:
    good = run(9, "backup", timedelta(hours=3))
    status = evaluate(
        facts(backup=JobFacts(run(10, "backup", timedelta(hours=1), "failed", "S3 unreachable"), good, DAY))
    )
    assert level(status, "backup") == WARN and "S3 unreachable" in status.headline()


def test_a_failed_check_is_critical_at_once() -> None:
    status = evaluate(facts(check=JobFacts(run(10, "check", DAY / 2, "failed", "pack damaged"), None, WEEK)))
    assert status.level == CRIT and "pack damaged" in status.headline()


def test_drill_is_critical_when_none_passed_within_twice_its_cadence() -> None:
    old = run(6, "drill", 15 * DAY + timedelta(hours=3), verdict="pass", rto_s=60.0)
    assert level(evaluate(facts(drill=JobFacts(old, old, WEEK))), "drill") == CRIT
    mid = run(6, "drill", 9 * DAY, verdict="pass", rto_s=60.0)
    assert level(evaluate(facts(drill=JobFacts(mid, mid, WEEK))), "drill") == WARN
    failed = run(7, "drill", DAY, "failed", "restic restore failed", verdict="fail")
    assert level(evaluate(facts(drill=JobFacts(failed, mid, WEEK))), "drill") == CRIT


def test_drill_rto_against_its_target() -> None:
    slow = run(6, "drill", DAY, verdict="pass", rto_s=5400.0)
    status = evaluate(facts(drill=JobFacts(slow, slow, WEEK)))
    assert level(status, "drill") == WARN and "RTO 1h 30m (target 1h)" in status.headline()


def test_a_stale_kit_warns_and_an_overdue_prune_never_exceeds_warn() -> None:
    base = facts()
    stale = Facts(**{**base.__dict__, "kit_fresh": False, "kit_text": "run `mailvault kit export`"})
    assert evaluate(stale).level == WARN
    old = run(7, "prune", 60 * DAY)
    assert level(evaluate(facts(prune=JobFacts(old, old, WEEK))), "prune") == WARN


def test_unknown_only_when_nothing_is_worse() -> None:
    assert Status([Item("a", UNKNOWN, "x"), Item("b", WARN, "y")]).level == WARN
    assert Status([Item("a", UNKNOWN, "x"), Item("b", OK, "y")]).level == UNKNOWN
