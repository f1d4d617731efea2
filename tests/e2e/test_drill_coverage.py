"""Coverage over time, end to end: every message read back over IMAP within N drills, the rotation
carried to a rebuilt host from beside the repository, and damage after the first backup caught."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.e2e.workspace import Workspace

FAST = "controls = false\ncanary = false\n"  # (those have their own tests: here only the rotation)


def _backed_up(ws: Workspace, drill: str) -> None:
    ws.extra_toml = f"[drill]\n{drill}{FAST}"
    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    ws.cli("init")
    ws.cli("backup")


def _coverage_says(report: dict[str, Any]) -> list[str]:
    return [f["message"] for f in report["findings"] if f["phase"] == "coverage"]


def _ok(report: dict[str, Any]) -> bool:
    return not [f for f in report["findings"] if f["level"] == "fail"]


def test_every_message_is_read_back_within_n_drills_and_a_rebuilt_host_continues(ws: Workspace) -> None:
    _backed_up(ws, "full_coverage_every = 3\nupload_report = true\n")
    proven = []
    for n in (1, 2, 3):
        report = ws.cli_json("restore-test", "--runtime", "local")
        assert _ok(report), report["findings"]
        cov = report["coverage"]
        assert (cov["share"], cov["shares_proven"], cov["cycle"]) == (n, n, 1)
        proven.append(cov["messages_proven"])
        assert any(f"coverage share {n} of 3 (cycle 1)" in m for m in _coverage_says(report)), report["findings"]
    assert proven[0] < proven[1] < proven[2] == 80, proven  # every message of the store, once
    assert cov["share_proven"] == 1.0 and cov["oldest_unproven"] is None and cov["cycles_completed"] == 1
    said = json.loads(ws.cli("status", "--json", check=False).stdout)  # (exit 1: a WARN, no schedule)
    status = next(i for i in said["items"] if i["name"] == "coverage")
    assert status["share_proven"] == 1.0 and status["cycle"] == 1 and status["text"].startswith("coverage: 100 %")
    ws.cli("metrics", "write")
    metrics = (ws.state / "mailvault.prom").read_text()
    assert "mailvault_drill_coverage_ratio 1" in metrics
    # the host is rebuilt: a new, empty state dir; the rotation goes on from the copy beside the repository
    shutil.rmtree(ws.state)
    report = ws.cli_json("restore-test", "--runtime", "local")
    assert _ok(report), report["findings"]
    assert (report["coverage"]["cycle"], report["coverage"]["share"]) == (2, 1)
    assert any("continued from its copy beside the repository" in m for m in _coverage_says(report))
    assert report["coverage"]["oldest_unproven"]["since"] is not None  # proven in cycle 1, not yet in 2


def test_a_message_that_rots_on_disk_after_its_first_backup_fails_its_share(ws: Workspace) -> None:
    """One byte of a message changes in place (what a failing disk does; maildir files never change):
    same name, same size, so counts, sizes and folder digests agree. restic saves the rotten file;
    only the hash taken when the message was first backed up tells."""
    _backed_up(ws, "full_coverage_every = 1\n")
    good = ws.cli_json("restore-test", "--runtime", "local")
    assert _ok(good) and good["coverage"]["messages_proven"] == 80, good["findings"]
    victim = sorted((ws.vmail / "example.com" / "bob" / "Maildir" / ".Sent" / "cur").iterdir())[2]
    data = bytearray(victim.read_bytes())
    data[-3] = ord("X") if data[-3] != ord("X") else ord("Y")
    victim.write_bytes(bytes(data))
    ws.cli("backup")
    proc = ws.cli("restore-test", "--runtime", "local", "--json", check=False)
    bad = _json(proc.stdout)
    assert proc.returncode == 1 and bad["verdict"] == "fail"
    failed = [f["message"] for f in bad["findings"] if f["level"] == "fail"]
    base = victim.name.partition(":")[0]
    assert any(base in m and "differs from the one backed up" in m for m in failed), failed
    assert any("1 of its 80 messages differ" in m and "next drill's share again" in m for m in failed), failed
    assert bad["coverage"] == {} or bad["coverage"]["cycles_completed"] == 1  # nothing recorded for it


def test_coverage_under_live_traffic_passes(ws: Workspace) -> None:
    """While restic reads the store, a message is expunged and another arrives: the expunged one is not
    in the snapshot (the counts judge that), the new one has no hash yet; neither is a failure."""
    ws.extra_toml = f"[drill]\nfull_coverage_every = 1\n{FAST}"
    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    inbox = ws.vmail / "example.org" / "alice" / "Maildir"
    victim = sorted((inbox / "cur").iterdir())[0]
    arrival = inbox / "new" / "1790000000.M1P1.mail,S=21"
    wrapper = ws.root / "restic-under-traffic"
    # restic starts before the new messages are hashed and waits at its gate: the victim goes once they
    # are (the manifest is written after them), before restic reads the store
    manifest = ws.state / "manifest" / "manifest.json"
    wrapper.write_text(
        f'#!/bin/sh\ncase "$*" in *" backup "*)\n'
        f'  i=0; while [ ! -e "{manifest}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n'
        f'  rm -f "{victim}"; printf "Subject: late\\n\\nhello\\n" > "{arrival}"; chown 5000:5000 "{arrival}";;\n'
        "esac\n"
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    ws.write_config(extra=ws.extra_toml + f'[restic]\nbinary = "{wrapper}"\n')
    ws.cli("init")
    ws.cli("backup")
    report = _json(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert _ok(report), report["findings"]
    assert report["messages"] == 80 and report["coverage"]["messages_proven"] == 79
    assert any("1 were not in the snapshot (expunged while the backup ran)" in m for m in _coverage_says(report))
    # the next backup hashes the arrival: the next drill proves all 80
    ws.write_config(extra=ws.extra_toml)
    ws.cli("backup")
    again = ws.cli_json("restore-test", "--runtime", "local")
    assert _ok(again) and again["coverage"]["messages_proven"] == 80, again["findings"]


def _json(text: str) -> dict[str, Any]:
    import json

    return dict(json.loads(text))


def test_oldest_kept_proves_the_oldest_snapshot_retention_keeps_and_forgets_nothing(ws: Workspace) -> None:
    """Three snapshots, retention keeps the last two: the drill proves the second; restic's own forget
    said so (a dry run, no lock), and all three are still there."""
    retention = "[retention]\nkeep_last = 2\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\nkeep_yearly = 0\n"
    _backed_up(ws, "")
    ws.write_config(extra=ws.extra_toml + retention)
    for n in (1, 2):
        (ws.vmail / "example.com" / "alice" / "Maildir" / "new" / f"179000000{n}.M{n}P1.mail,S=6").write_text(
            "hi\n\nx\n"
        )
        ws.cli("backup")
    ids = [s["id"] for s in ws.cli_json("snapshots")]
    assert len(ids) == 3
    report = ws.cli_json("restore-test", "--runtime", "local", "--snapshot", "oldest-kept")
    assert _ok(report) and report["snapshot_id"] == ids[1], (ids, report["snapshot_id"], report["findings"])
    assert report["messages"] == 81
    assert [s["id"] for s in ws.cli_json("snapshots")] == ids
