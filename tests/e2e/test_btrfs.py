"""`[sources] snapshot = "btrfs"`: backups of a live store from a read-only btrfs snapshot, on a real
btrfs filesystem in a loop-mounted image file (as root; the image and its mount are this test's)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailvault.demo import churn
from tests.e2e.workspace import Workspace


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture
def btrfs_ws(tmp_path: Path, s3server) -> Iterator[Workspace]:  # type: ignore[no-untyped-def]
    """A workspace whose mail store is a btrfs subvolume."""
    from tests.e2e.workspace import unique_prefix

    image, mount = tmp_path / "btrfs.img", tmp_path / "fs"
    sh("truncate", "-s", "400M", str(image))
    sh("mkfs.btrfs", "-q", str(image))
    mount.mkdir()
    sh("mount", "-o", "loop", str(image), str(mount))
    try:
        sh("btrfs", "subvolume", "create", str(mount / "vmail"))
        ws = Workspace(tmp_path, f"s3:{s3server.endpoint}/mailvault/{unique_prefix()}", "pw-btrfs-1", s3server.admin)
        ws.vmail = mount / "vmail"
        ws.extra_toml = ""
        yield ws
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def snapshot_config(ws: Workspace, extra: str = "") -> None:
    ws.write_config()
    text = ws.config_path.read_text().replace("[state]", 'snapshot = "btrfs"\n[state]', 1)
    ws.config_path.write_text(text + extra)


def test_a_live_store_backed_up_from_a_btrfs_snapshot_holds_exactly_what_was_scanned(btrfs_ws: Workspace) -> None:
    ws = btrfs_ws
    ws.generate()
    snapshot_config(ws)
    ws.cli("init")
    ws.cli_json("backup")
    with churn.LiveTraffic(churn.maildir_folders(ws.vmail), 40) as live:
        results = [ws.cli_json("backup") for _ in range(2)]
        report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert live.done.total() > 20, live.done
    for result in results:  # the snapshot froze the store: nothing changed under restic
        assert result["record"] == "scanned" and not any(result["churn"].values()), result
        assert result["files_unmodified"] > 0  # restic's change detection holds across btrfs snapshots
    assert [f["message"] for f in report["findings"] if f["level"] == "fail"] == []
    assert not (ws.vmail / ".mailvault-snapshot").exists()
    assert ws.watch is not None
    backups = [argv for argv in ws.watch.argvs() if "backup" in argv and "--stdin" not in argv]
    assert len(backups) == 3 and not [argv for argv in backups if "-vv" in argv]  # nothing changed to list
    # the live paths, not the snapshot's, are what restic recorded
    snaps = json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault"))
    assert str(ws.vmail) in snaps[-1]["paths"]
    listed = ws.restic("ls", snaps[-1]["id"])
    assert ".mailvault-snapshot" not in listed and str(ws.vmail / "example.com" / "alice" / "Maildir") in listed


def test_a_killed_backup_leaves_a_btrfs_snapshot_that_the_next_removes(btrfs_ws: Workspace) -> None:
    ws = btrfs_ws
    ws.generate()
    wrapper = ws.root / "restic-killed"
    wrapper.write_text('#!/bin/sh\nif [ "$3" = backup ]; then kill -9 "$PPID"; exit 1; fi\nexec restic "$@"\n')
    wrapper.chmod(0o755)
    snapshot_config(ws, f'[restic]\nbinary = "{wrapper}"\n')
    ws.cli("init")
    assert ws.cli("backup", check=False).returncode == -9
    assert (ws.vmail / ".mailvault-snapshot").is_dir()
    snapshot_config(ws)
    after = ws.cli("backup")
    assert "removing the btrfs snapshot" in after.stderr and "left by a backup that did not end cleanly" in after.stderr
    assert not (ws.vmail / ".mailvault-snapshot").exists()


def test_a_store_outside_btrfs_is_refused_naming_the_fix(ws: Workspace) -> None:
    ws.generate()
    snapshot_config(ws)
    ws.cli("init")
    proc = ws.cli("backup", check=False)
    assert proc.returncode == 1
    assert f"sources.snapshot = btrfs: {ws.vmail} is not inside a btrfs subvolume" in proc.stderr


def test_the_snapshots_runbook_runs_as_written(btrfs_ws: Workspace) -> None:
    from tests.e2e.test_runbooks import RUNBOOKS, commands

    ws = btrfs_ws
    steps = commands(RUNBOOKS / "backup-snapshots.md")
    assert steps == ["mailvault config validate", "mailvault backup", "mailvault snapshots"]
    ws.generate()
    snapshot_config(ws)
    ws.cli("init")
    outputs = [ws.cli(*step.split()[1:]) for step in steps]
    assert "backing up from btrfs snapshot(s)" in outputs[1].stderr
    assert "complete" in outputs[2].stdout
