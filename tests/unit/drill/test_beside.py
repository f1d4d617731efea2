"""Where the drill's reports go beside the backups, and a local repository's copy (the filesystem edge)."""

from __future__ import annotations

import json
from pathlib import Path

from mailvault.actions.drill_upload import store_beside_backups
from mailvault.config.schema import Config
from mailvault.drill.beside import local_reports_dir, report_stem, s3_reports_prefix
from mailvault.drill.judge import Finding
from mailvault.drill.report import DrillReport
from mailvault.storage.objects import content_md5


def test_reports_sit_next_to_the_repository_never_inside_it() -> None:
    assert report_stem(3, "2026-11-29T07:00:12+00:00") == "drill-20261129T070012Z-3"
    assert s3_reports_prefix("mail1") == "mail1-reports/" and s3_reports_prefix("/a/b/") == "a/b-reports/"
    assert s3_reports_prefix("") == "mailvault-reports/"
    assert local_reports_dir(Path("/srv/backup/repo")) == Path("/srv/backup/repo-reports")
    assert content_md5(b"hello") == "XUFAKrxLKna5cZ2REBfFkg=="


def _config(repo: Path) -> Config:
    return Config.model_validate({
        "repository": {"url": str(repo), "password_file": "/k"},
        "sources": {"maildirs": ["/m"]},
        "drill": {"upload_report": True},
    })  # fmt: skip


def _report() -> DrillReport:
    return DrillReport(
        run_id=7, verdict="pass", started_at="2026-11-29T07:00:12+00:00", snapshot_id="abc", snapshot_time=None,
        rpo_s=60.0, rpo_target_s=93600, largest_gap_s=None, rto_s=5.0, rto_target_s=3600, phases={},
        total_s=6.0, mailboxes=4, messages=80, bytes=1000, samples=10, runtime="local", image="",
        image_built=False, findings=[Finding("pass", "verify", "80 messages match")],
    )  # fmt: skip


def test_a_local_repository_gets_the_reports_in_a_sibling_directory(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    report = _report()
    store_beside_backups(_config(tmp_path / "repo"), report)
    stem = tmp_path / "repo-reports" / "drill-20261129T070012Z-7"
    assert report.upload == {"json": f"{stem}.json", "markdown": f"{stem}.md"} and report.verdict == "pass"
    stored = json.loads(Path(f"{stem}.json").read_text())
    assert stored["upload"] == report.upload and stored["messages"] == 80
    assert Path(f"{stem}.md").read_text().startswith("# Restore drill 7: PASS")
    assert list((tmp_path / "repo").iterdir()) == []


def test_a_report_that_cannot_be_stored_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "repo-reports").write_text("a file where the directory should be")
    report = _report()
    store_beside_backups(_config(tmp_path / "repo"), report)
    assert report.upload == {} and report.verdict == "warn"
    assert (
        report.findings[-1].level == "warn" and "could not be stored beside the backups" in report.findings[-1].message
    )
    assert str(tmp_path / "repo-reports") in report.findings[-1].message
