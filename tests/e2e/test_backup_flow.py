"""init -> backup -> changes -> incremental backup -> prune -> check, on real restic and real S3."""

from __future__ import annotations

import json
from pathlib import Path

from mailvault.demo import mailstore
from mailvault.demo.seaweed import SeaweedS3
from mailvault.mail.manifest import Manifest, compare
from tests.e2e.workspace import Workspace, unique_prefix


def _listed_files(ws: Workspace, snapshot: str) -> set[str]:
    lines = ws.restic("ls", "--json", snapshot).splitlines()
    nodes = [json.loads(line) for line in lines[1:]]
    return {n["path"] for n in nodes if n.get("type") == "file"}


def test_full_backup_cycle(ws: Workspace) -> None:
    gen = ws.generate()
    init = ws.cli_json("init")
    assert init["ok"] and init["repository_created"] and init["password_generated"] is False

    first = ws.cli_json("backup")
    assert first["manifest"]["messages"] == gen.messages == 80
    assert first["manifest"]["mailboxes"] == 4
    assert first["files_new"] > 80

    # restic itself sees the snapshot, every message file and the manifest
    snaps = json.loads(ws.restic("snapshots", "--json"))
    assert [s["short_id"] for s in snaps] == [first["snapshot_id"]]
    assert f"messages:{gen.messages}" in snaps[0]["tags"]
    files = _listed_files(ws, first["snapshot_id"])
    messages_on_disk = {str(p) for p in mailstore.iter_message_paths(ws.vmail)}
    assert messages_on_disk <= files
    manifest_path = str(ws.state / "manifest" / "manifest.json")
    assert manifest_path in files
    assert not any(f.endswith("dovecot.index.log") for f in files), "Dovecot index files are excluded"
    assert any(f.endswith("dovecot-uidlist") for f in files), "dovecot-uidlist is kept"
    assert any(f.endswith("main.cf") for f in files) and any(f.endswith("mail.private") for f in files)
    in_snapshot = Manifest.from_json(ws.restic("dump", first["snapshot_id"], manifest_path))
    assert in_snapshot.totals.messages == gen.messages

    # new mail, a flag rename, a deletion; an in-delivery file in tmp/ is not backed up
    alice = ws.vmail / "example.com" / "alice" / "Maildir"
    new = mailstore.deliver(
        alice, b"Subject: new\n\nhi\n", date=mailstore.datetime.now(mailstore.UTC), seq=10**6, flags=None
    )
    (alice / "tmp" / "1.in-delivery").write_bytes(b"partial")
    (alice / ".Sent" / "tmp" / "2.in-delivery").write_bytes(b"partial")
    (alice / ".Sent" / "dovecot.index.cache").write_bytes(b"cache")
    (alice / ".Sent" / "dovecot-keywords").write_text("0 $Forwarded\n")
    (alice / "dovecot.list.index.log").write_bytes(b"mailbox list log")
    (alice / "dovecot.lda-dupes").write_bytes(b"not an index: kept")
    bob_cur = ws.vmail / "example.org" / "bob" / "Maildir" / "cur"
    renamed, deleted = sorted(bob_cur.iterdir())[:2]
    renamed_to = renamed.with_name(renamed.name.split(":")[0] + ":2,FS")
    renamed.rename(renamed_to)
    deleted.unlink()

    second = ws.cli_json("backup")
    assert second["manifest"]["messages"] == gen.messages  # +1 new, -1 deleted
    assert second["files_new"] == 3  # the new message, the renamed file (new name), dovecot.lda-dupes
    assert second["bytes_added"] < first["bytes_added"] / 10
    files2 = _listed_files(ws, second["snapshot_id"])
    assert str(new) in files2 and str(renamed_to) in files2
    assert str(deleted) not in files2 and str(renamed) not in files2
    assert not any("in-delivery" in f or "dovecot.index" in f or "dovecot.list.index" in f for f in files2)
    assert str(alice / ".Sent" / "dovecot-keywords") in files2
    assert str(alice / "dovecot.lda-dupes") in files2

    after = Manifest.from_json(ws.restic("dump", second["snapshot_id"], manifest_path))
    changes = {(c.mailbox, c.folder): (c.before, c.after) for c in compare(in_snapshot, after)}
    assert changes == {("alice@example.com", "INBOX"): (5, 6), ("bob@example.org", "INBOX"): (5, 4)}

    listed = ws.cli_json("snapshots")
    assert [(s["short_id"], s["messages"], s["mailboxes"]) for s in listed] == [
        (first["snapshot_id"], 80, 4),
        (second["snapshot_id"], 80, 4),
    ]

    ws.write_config(
        extra="[retention]\nkeep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\nkeep_yearly = 0\n"
    )
    dry = ws.cli_json("prune", "--dry-run")
    assert (dry["removed"], dry["dry_run"]) == (1, True)
    assert len(json.loads(ws.restic("snapshots", "--json"))) == 2
    pruned = ws.cli_json("prune")
    assert (pruned["kept"], pruned["removed"]) == (1, 1)
    assert [s["short_id"] for s in json.loads(ws.restic("snapshots", "--json"))] == [second["snapshot_id"]]

    subsets = [ws.cli_json("check")["subset"] for _ in range(4)]
    assert subsets == ["1/3", "2/3", "3/3", "1/3"]

    history = ws.cli_json("history")
    kinds = [(r["kind"], r["status"]) for r in history]
    assert kinds.count(("backup", "ok")) == 2 and kinds.count(("check", "ok")) == 4
    assert (ws.state / "manifests" / f"{second['snapshot_id']}.json").exists()


def test_local_path_repository_works_like_s3(local_ws: Workspace) -> None:
    gen = local_ws.generate()
    local_ws.cli("init")
    assert (Path(local_ws.url) / "config").exists()
    result = local_ws.cli_json("backup")
    assert result["manifest"]["messages"] == gen.messages
    assert [s["messages"] for s in local_ws.cli_json("snapshots")] == [gen.messages]
    assert local_ws.cli_json("check")["ok"]


def test_human_output_and_progress_lines(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    out = ws.cli("backup")
    assert "backup done: snapshot" in out.stdout
    assert "80 messages" in out.stdout
    assert "manifest: 4 mailboxes, 80 messages" in out.stderr
    assert "0/1 files" not in out.stderr  # restic's placeholder report is not shown


def test_init_dry_run_changes_nothing(tmp_path: Path, s3server: SeaweedS3) -> None:
    bucket = "mv-dry-" + unique_prefix()
    ws = Workspace(tmp_path, f"s3:{s3server.endpoint}/{bucket}/r", password="", identity=s3server.admin)
    ws.generate()
    out = ws.cli("init", "--dry-run")
    assert "bucket         would be created" in out.stdout
    assert "password file  would be generated (mode 0600)" in out.stdout
    assert not (ws.secrets / "repository.key").exists()
    assert ws.cli_json("init", "--dry-run")["bucket_created"] is True  # still missing: nothing was made
    ws.cli("init")
    assert (ws.secrets / "repository.key").exists()
    assert ws.cli_json("init", "--dry-run")["bucket_created"] is False


def test_backup_dry_run_saves_no_snapshot(local_ws: Workspace) -> None:
    gen = local_ws.generate()
    local_ws.cli("init")
    dry = local_ws.cli_json("backup", "--dry-run")
    assert (dry["dry_run"], dry["snapshot_id"], dry["manifest"]["messages"]) == (True, "", gen.messages)
    assert dry["files_new"] > gen.messages
    assert local_ws.cli_json("snapshots") == []
    assert not list((local_ws.state / "manifests").iterdir())
    assert local_ws.cli_json("backup")["snapshot_id"]
