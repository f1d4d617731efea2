"""The host report: the history it reads, the page it writes (escaped, self-contained, true to the JSON)."""

from __future__ import annotations

import re
from pathlib import Path

from mailvault.report import history
from mailvault.report.history import HostReport
from mailvault.report.page import render
from mailvault.state.db import RunRecord
from tests.report_history import generated_report


def test_the_page_holds_every_chart_and_no_script_nor_anything_fetched() -> None:
    page = render(generated_report(drills=30, backups=60))
    charts = re.findall(r'<figure data-chart="(\w+)">', page)
    assert charts == ["phases", "rto", "rpo", "coverage", "backups", "added", "sizes", "gaps"]
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(" not in page


def test_user_text_is_escaped_never_markup() -> None:
    report = generated_report(drills=2, backups=2)
    report.host = "<b>host</b>"
    report.latest_findings = [{"level": "fail", "phase": "verify", "message": 'INBOX.<img src=x onerror=alert(1)> "&"'}]
    page = render(report)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; &quot;&amp;&quot;" in page
    assert "<b>host</b>" not in page and "&lt;b&gt;host&lt;/b&gt;" in page


def test_the_numbers_on_the_page_are_the_jsons() -> None:
    report = generated_report(drills=5, backups=9)
    page, data = render(report), report.as_dict()
    values = dict(re.findall(r'data-field="([\w.]+)" data-value="([^"]*)"', page))
    latest = data["drills"][-1]
    assert float(values["drill.rto_s"]) == latest["rto_s"] and float(values["drill.rpo_s"]) == latest["rpo_s"]
    assert values["drill.verdict"] == latest["verdict"]
    assert int(values["repository.bytes"]) == data["sizes"][-1]["bytes"]
    assert float(values["coverage.share_proven"]) == data["coverage"]["share_proven"]


def test_an_empty_history_says_so_instead_of_drawing_nothing() -> None:
    page = render(HostReport("mail", "2026-12-03T00:00:00+00:00", 14400, 93600))
    assert "<figure" not in page and "no restore drill yet" in page and 'data-empty="rto"' in page


def test_points_come_from_what_each_run_recorded(tmp_path: Path) -> None:
    drill = RunRecord(7, "drill", "2026-12-01T07:00:00+00:00", None, "ok", {
        "verdict": "warn", "rto_s": 30.5, "rpo_s": 3600, "canary": {"arrived_s": 40.0},
        "coverage": {"share_proven": 0.25}, "snapshot_id": "ab" * 32,
    }, None)  # fmt: skip
    killed = RunRecord(8, "drill", "2026-12-02T07:00:00+00:00", None, "interrupted", {}, None)
    assert history.drill_point(drill).mail_flows_s == 40.0 and history.drill_point(drill).coverage == 0.25
    assert history.drill_point(killed).verdict == "interrupted" and history.drill_point(killed).rto_s is None
    backup = RunRecord(9, "backup", "2026-12-02T02:30:00+00:00", "x", "ok", {
        "duration_s": 12.5, "bytes_added": 5000, "manifest": {"messages": 80}, "repository_bytes": 9000,
    }, None)  # fmt: skip
    assert history.backup_point(backup).messages == 80
    assert history.sizes([backup, drill]) == [history.SizePoint("x", 9000)]
