"""`mailvault restore-test` end to end: real restic, SeaweedFS S3, Docker and Dovecot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.workspace import Workspace


def drill_containers() -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "--all", "--filter", "label=mailvault.drill", "--format", "{{.Names}}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.split()


@pytest.fixture
def drilled(ws: Workspace, drill_image: str) -> Workspace:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    return ws


def test_a_good_backup_passes_the_drill(drilled: Workspace) -> None:
    ws = drilled
    proc = ws.cli("restore-test", "--json", check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode in (0, 2), proc.stderr
    assert report["verdict"] in ("pass", "warn") and not [f for f in report["findings"] if f["level"] == "fail"]
    assert (report["mailboxes"], report["messages"]) == (4, 80)
    assert report["samples"] == 10 and report["rto_s"] > 0 and report["rpo_s"] < 600
    assert set(report["phases"]) == {"snapshot", "container", "restore", "lint", "serve", "verify"}
    assert any("match the manifest over IMAP" in f["message"] for f in report["findings"])
    assert drill_containers() == []
    md = Path(report["paths"]["markdown"]).read_text()
    assert md.startswith(f"# Restore drill {report['run_id']}: ")
    history = ws.cli_json("history", "--kind", "drill")
    assert history[0]["kind"] == "drill" and history[0]["status"] == "ok"
