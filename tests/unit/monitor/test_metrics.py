"""Metrics: what the textfile holds, read back with prometheus_client's own parser."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mailvault.monitor.metrics import exposition, write_textfile
from mailvault.monitor.status import evaluate
from tests.prom import samples
from tests.unit.monitor.test_status import facts


def test_the_textfile_parses_back(tmp_path: Path) -> None:
    from mailvault.monitor.metrics import families

    f = facts()
    path = tmp_path / "collector" / "mailvault.prom"
    write_textfile(path, families(f, evaluate(f), [("bob@example.org", 40, 123456)]))
    got = samples(path.read_text())
    assert got[("mailvault_job_last_outcome", (("job", "backup"),))] == 1
    assert got[("mailvault_job_last_success_timestamp_seconds", (("job", "drill"),))] > 1.7e9
    assert got[("mailvault_repository_snapshots", ())] == 12
    assert got[("mailvault_repository_size_bytes", ())] == 5 * 2**30
    assert got[("mailvault_drill_passed", ())] == 1 and got[("mailvault_drill_rto_seconds", ())] == 60
    assert got[("mailvault_status_level", ())] == 0 and got[("mailvault_kit_fresh", ())] == 1
    assert got[("mailvault_mailbox_messages", (("mailbox", "bob@example.org"),))] == 40


def test_per_mailbox_metrics_only_when_asked() -> None:
    from mailvault.monitor.metrics import families

    f = facts()
    assert "mailvault_mailbox_" not in exposition(families(f, evaluate(f)))


def test_the_drills_negative_controls_are_exported() -> None:
    from mailvault.monitor.facts import JobFacts
    from mailvault.monitor.metrics import families
    from tests.unit.monitor.test_status import WEEK, run

    blind = run(
        6,
        "drill",
        timedelta(days=1),
        verdict="warn",
        rto_s=60.0,
        controls={"caught": "6/7", "where": "a b"},
        repository_bytes_read=123456,
    )
    f = facts(drill=JobFacts(blind, blind, WEEK))
    got = samples(exposition(families(f, evaluate(f))))
    assert got[("mailvault_drill_controls_staged", ())] == 7 and got[("mailvault_drill_controls_caught", ())] == 6
    assert got[("mailvault_drill_repository_read_bytes", ())] == 123456
    older = facts()  # a drill from before the controls: no such metrics rather than a zero
    assert "mailvault_drill_controls" not in exposition(families(older, evaluate(older)))
