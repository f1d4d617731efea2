"""`mailvault report` in a real browser: headless Chromium loads the page offline, with no console
error, every chart drawn with its points, and the figures on the page equal to the JSON."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mailvault.report.page import render
from tests.browser import open_page
from tests.e2e.workspace import Workspace
from tests.report_history import generated_report

SHOTS = Path(os.environ.get("MAILVAULT_SCREENSHOTS", "/tmp/mailvault-screenshots"))
_FIGURE = re.compile(r'<figure data-chart="([^"]+)">(.*?)</figure>', re.DOTALL)


def points(dom: str) -> dict[str, int]:
    """Each chart on the page and how many data points (dots, bars) it draws."""
    return {name: len(re.findall(r'class="(?:dot|rect) reactive', svg)) for name, svg in _FIGURE.findall(dom)}


def figures(dom: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="([\w.]+)" data-value="([^"]*)"', dom))


def test_a_long_history_renders_offline_with_every_chart_and_the_jsons_numbers(tmp_path: Path) -> None:
    report = generated_report(drills=30, backups=60)
    page = tmp_path / "report.html"
    page.write_text(render(report))
    loaded = open_page(page, screenshot=SHOTS / "host-report.png")
    assert loaded.console == [], loaded.console
    drawn = points(loaded.dom)
    # RTO: 30 drills x (RTO, mail flows); RPO, coverage: 30 (their targets far above: named); backups: 60
    assert drawn == {
        "phases": 8,
        "rto": 60,
        "rpo": 30,
        "coverage": 30,
        "backups": 60,
        "added": 60,
        "sizes": 60,
        "gaps": 5,
    }, drawn
    data, shown = report.as_dict(), figures(loaded.dom)
    assert float(shown["drill.rto_s"]) == data["drills"][-1]["rto_s"]
    assert int(shown["backup.bytes_added"]) == [b for b in data["backups"] if b["status"] == "ok"][-1]["bytes_added"]
    assert int(shown["repository.bytes"]) == data["sizes"][-1]["bytes"]
    print(f"chromium: {loaded.seconds:.2f} s from start to the DOM of a 30-drill, 60-backup report")


def test_the_harness_sees_a_console_error_and_a_fetch_attempt(tmp_path: Path) -> None:
    """The console check can fail: a page with a script error, and one that fetches, are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><script>console.error("boom"); nosuch();</script>'
                   '<img src="http://example.invalid/x.png"></body></html>')  # fmt: skip
    assert len(open_page(bad).console) >= 2


def test_the_report_after_real_runs_matches_mailvault_report_json(ws: Workspace) -> None:
    html = ws.root / "www"
    html.mkdir()
    ws.extra_toml = f'[drill]\ncontrols = false\ncanary = false\n[report]\nhtml = "{html}/"\n'
    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    ws.cli("init")
    ws.cli("backup")
    assert (html / "index.html").exists(), "written after the backup"
    drill = ws.cli_json("restore-test", "--runtime", "local")
    data: dict[str, Any] = ws.cli_json("report", "--out", str(ws.root / "out.html"))
    assert data["html"] == str(ws.root / "out.html") and data["drills"][-1]["run_id"] == drill["run_id"]
    for page in (html / "index.html", ws.root / "out.html"):  # after the drill, and on demand: the same figures
        loaded = open_page(page, screenshot=SHOTS / f"host-report-real-{page.stem}.png")
        assert loaded.console == [], loaded.console
        shown = figures(loaded.dom)
        assert shown["drill.verdict"] == drill["verdict"] == data["drills"][-1]["verdict"]
        assert float(shown["drill.rto_s"]) == drill["rto_s"] == data["drills"][-1]["rto_s"]
        assert float(shown["coverage.share_proven"]) == data["coverage"]["share_proven"] > 0
        assert points(loaded.dom)["phases"] == len(drill["phases"])


def test_a_report_that_cannot_be_written_never_fails_the_backup(ws: Workspace) -> None:
    blocker = ws.root / "not-a-dir"
    blocker.write_text("x")
    ws.extra_toml = f'[report]\nhtml = "{blocker}/sub/index.html"\n'
    ws.generate()
    ws.cli("init")
    proc = ws.cli("backup")
    assert "the report could not be written" in proc.stderr and str(blocker) in proc.stderr
    refused = ws.cli("report", check=False)
    assert refused.returncode == 1 and f"the report cannot be written to {blocker}/sub/index.html" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 2, refused.stderr
