"""Backups of a live store: mail arriving, read, re-flagged and expunged while restic reads it.

The verdict must be true both ways: the drill PASSES on every such snapshot (both runtimes), and a
message the snapshot really lacks (missed by the walk and not caught, or excluded by a wrong
pattern) FAILS it, naming the folder.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailvault.demo import churn, mailstore
from mailvault.mail.layout import find_mailboxes
from mailvault.mail.maildir import folder_files
from mailvault.mail.manifest_model import Manifest
from mailvault.mail.restore_plan import folder_dir, restored
from tests.e2e.workspace import Workspace

# 2 domains x 10 users x 10 folders x 100 messages = 20,000 messages
BIG = mailstore.StoreSpec(
    domains=("d1.example", "d2.example"),
    users=tuple(f"user{i}" for i in range(10)),
    messages_per_folder=100,
    body_bytes=600,
    attachment_every=20,
    attachment_bytes=3000,
)


def fails(report: dict[str, object]) -> list[str]:
    return [f["message"] for f in report["findings"] if f["level"] == "fail"]  # type: ignore[attr-defined,index]


def record_of(ws: Workspace, snapshot: str) -> Manifest:
    return Manifest.from_json((ws.state / "manifests" / f"{snapshot}.json").read_text())


@pytest.mark.parametrize("rate", [5, 60])
def test_backups_under_live_traffic_pass_both_drills_and_restore_what_the_record_says(
    ws: Workspace, drill_image: str, rate: int, tmp_path: Path
) -> None:
    gen = ws.generate(BIG)
    assert gen.messages == 20_000
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    ws.cli("init")
    ws.cli("backup")
    folders = churn.maildir_folders(ws.vmail)
    with churn.LiveTraffic(folders, rate) as live:
        results = [ws.cli_json("backup") for _ in range(2)]  # exit 0 each, or cli_json raises
        changed = live.done.total()
        local = ws.cli("restore-test", "--runtime", "local", "--json", check=False, timeout=600)
        container = ws.cli("restore-test", "--json", check=False, timeout=600)
    assert changed >= rate * 2, live.done  # the store really changed during the backups
    churned = [r for r in results if r["churn"]["arrived"] + r["churn"]["reflagged"] + r["churn"]["expunged"]]
    assert churned, results  # and the reconciliation saw it
    for proc in (local, container):
        report = json.loads(proc.stdout)
        assert fails(report) == [] and proc.returncode in (0, 2), report["findings"]
        assert any("judged against its manifest of record" in f["message"] for f in report["findings"])
        # on a busy store too: the verifier catches all seven damages, and mail flows through the restored Postfix
        assert report["controls"]["caught"] == "7/7", report["controls"]
        assert report["canary"]["arrived_s"] > 0, report["canary"]

    # `restore --mailbox` of the last snapshot equals its manifest of record, folder by folder
    last = results[-1]["snapshot_id"]
    record = record_of(ws, last)
    assert record.state == "complete"
    box = record.mailboxes[3]
    target = tmp_path / "restored"
    ws.cli_json("restore", last, "--mailbox", box.name, "--target", str(target))
    for entry in box.folders:
        files = folder_files(restored(target, folder_dir(box.path, entry.name, record.folder_layout)))
        assert (len(files.files), files.bytes) == (entry.messages, entry.bytes), entry.name


def restic_wrapper(ws: Workspace, body: str) -> Path:
    """A restic program for the config that runs ``body`` (sh) around the real restic's first backup."""
    wrapper = ws.root / "restic-wrapper"
    flag = ws.root / "wrapper-done"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ ! -e "{flag}" ] && [ "$3" = backup ] && [ "$5" = -vv ]; then touch "{flag}"; {body}; exit $rc; fi\n'
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def test_a_message_the_walk_missed_is_caught_by_a_second_pass(ws: Workspace, drill_image: str) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    inbox = find_mailboxes(ws.vmail, "%d/%n/Maildir")[0].path
    moving = sorted((inbox / "new").iterdir())[0]
    aside = ws.root / "aside"
    # What restic sees when a client reads the message between its listing of cur/ and of new/: in
    # neither. The message is on disk before and after the walk.
    body = f'mv "{moving}" "{aside}"; restic "$@"; rc=$?; mv "{aside}" "{inbox}/cur/{moving.name}:2,S"'
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{restic_wrapper(ws, body)}"\n')
    result = ws.cli_json("backup")
    assert result["churn"]["caught"] == 1 and result["record"] == "complete", result
    snaps = ws.cli_json("snapshots")
    assert [s["state"] for s in snaps[-2:]] == ["superseded", "complete"]
    assert snaps[-1]["id"].startswith(result["snapshot_id"])
    ws.write_config()
    report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert fails(report) == [] and report["snapshot_id"].startswith(result["snapshot_id"])
    # The superseded snapshot lacks the message, and a drill of it says so without failing.
    older = json.loads(ws.cli("restore-test", "--runtime", "local", "--snapshot", snaps[-2]["id"], "--json",
                              check=False).stdout)  # fmt: skip
    assert fails(older) == [] and older["verdict"] == "warn"
    assert any("lacks 1 message(s) that moved while it was made" in f["message"] for f in older["findings"])


def test_a_message_excluded_by_a_wrong_pattern_is_a_partial_backup_and_fails_the_drill(ws: Workspace) -> None:
    ws.generate()
    victim = next(p for p in sorted((ws.vmail / "example.org" / "bob" / "Maildir" / "cur").iterdir()))
    # an operator's exclude pattern that catches a message
    textfile = ws.root / "node-exporter" / "mailvault.prom"
    text = ws.config_path.read_text().replace("[state]", f'exclude = ["{victim}"]\n[state]', 1)
    ws.config_path.write_text(text + f'[metrics]\ntextfile = "{textfile}"\n')
    ws.cli("init")
    others = [f for f in churn.maildir_folders(ws.vmail) if f != victim.parent.parent]
    with churn.LiveTraffic(others, 20):  # a real loss fails on a busy store too
        proc = ws.cli("backup", check=False)
    assert proc.returncode == 1, proc.stderr
    assert "backup partial: 1 message(s) on disk before and after the backup are not in snapshot" in proc.stderr
    assert victim.name in proc.stderr
    snaps = ws.cli_json("snapshots")
    assert [s["state"] for s in snaps] == ["superseded", "superseded", "partial"]
    history = ws.cli_json("history", "--kind", "backup")
    newest = history[0] if isinstance(history, list) else history["runs"][0]
    assert newest["status"] == "failed" and newest["summary"]["record"] == "partial"
    assert newest["summary"]["missed"] == 1 and snaps[-1]["id"].startswith(newest["summary"]["snapshot_id"])
    assert "mailvault_backup_missed_messages 1.0" in textfile.read_text(), textfile.read_text()
    report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert report["verdict"] == "fail"
    assert any("is partial: 1 message(s)" in m and "bob@example.org INBOX: 1" in m for m in fails(report)), fails(
        report
    )


def test_the_drill_reads_uidvalidity_before_dovecot_serves_and_judges_what_dovecot_serves(ws: Workspace) -> None:
    """The drill used to lint the tree while its Dovecot served it: a dovecot-uidlist that Dovecot
    rewrites on SELECT (here: a mailbox GUID of 64 bits, which Dovecot rejects) was judged as
    restored or as rewritten depending on which got there first. Now the restored value is read
    before serving, and the served one is checked over IMAP: one finding, every time."""
    ws.generate()
    uidlist = ws.vmail / "example.com" / "alice" / "Maildir" / "dovecot-uidlist"
    head, _, rest = uidlist.read_text().partition("\n")
    short = " ".join(f[:17] if f.startswith("G") else f for f in head.split())
    uidlist.write_text(f"{short}\n{rest}")
    big = ws.vmail / "example.org" / "bob" / "Maildir"
    data = b"Subject: big\n\n" + b"x" * 20_000_000 + b"\n"  # a large message: the lint takes its time
    mailstore.deliver(big, data, date=datetime(2026, 5, 1, tzinfo=UTC), seq=999_999, flags="S")
    ws.cli("init")
    ws.cli("backup")
    for _ in range(2):
        report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
        assert report["verdict"] == "fail"
        found = fails(report)
        assert len(found) == 1 and found[0].startswith("alice@example.com INBOX: served with UIDVALIDITY"), found
        assert "did not accept the restored dovecot-uidlist" in found[0]


def test_prune_forgets_a_manifest_of_record_with_its_snapshot(ws: Workspace) -> None:
    ws.generate()
    victim = sorted((ws.vmail / "example.org" / "bob" / "Maildir" / "cur").iterdir())[0]
    body = f'rm -f "{victim}"; restic "$@"; rc=$?'  # an expunge between the scan and restic's walk
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{restic_wrapper(ws, body)}"\n')
    ws.cli("init")
    first = ws.cli_json("backup")
    assert first["churn"]["expunged"] == 1 and first["record"] == "complete"
    records = json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault-record"))
    assert len(records) == 1 and f"record:{first['snapshot_id'][:8]}:complete:79:" in " ".join(records[0]["tags"])
    ws.write_config(ws.extra_toml)
    # a still store after a busy night: the record's restic waited beside the backup, and is saved
    second = ws.cli_json("backup")
    records = json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault-record"))
    backups = json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault"))
    run_tag = next(t for t in records[-1]["tags"] if t.startswith("record-run:"))
    assert len(records) == 2 and run_tag in backups[-1]["tags"] and second["record"] == "complete"
    (ws.root / "wrapper-done").unlink()  # a third backup with an expunge under restic: a record again
    second = sorted((ws.vmail / "example.org" / "bob" / "Maildir" / "cur").iterdir())[0]
    again = f'rm -f "{second}"; restic "$@"; rc=$?'
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{restic_wrapper(ws, again)}"\n[retention]\nkeep_last = 1\n')
    assert ws.cli_json("backup")["churn"]["expunged"] == 1
    pruned = ws.cli_json("prune")
    assert (pruned["removed"], pruned["records_removed"]) == (2, 2)  # the kept snapshot keeps its record
    left = json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault-record"))
    kept = ws.cli_json("snapshots")
    assert len(left) == 1 and [s["state"] for s in kept] == ["complete"]
    assert any(t.startswith(f"record:{kept[0]['short_id']}:") for t in left[0]["tags"])


def test_a_backup_killed_while_saving_its_record_is_marked_unreconciled_by_the_next(ws: Workspace) -> None:
    ws.generate()
    victim = sorted((ws.vmail / "example.org" / "bob" / "Maildir" / "cur").iterdir())[0]
    # The first pass races an expunge (so the snapshot needs a record); the record's save is killed
    # with the backup itself (SIGKILL to the mailvault process).
    wrapper = ws.root / "restic-killing"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$3" = backup ] && [ "$5" = -vv ]; then rm -f "{victim}"; fi\n'
        # mailvault dies while it saves the record (a first backup saves it after restic)
        'case "$*" in *mailvault-record*) kill -9 "$PPID"; exit 1;; esac\n'
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{wrapper}"\n')
    ws.cli("init")
    killed = ws.cli("backup", check=False)
    assert killed.returncode == -9
    ws.write_config()
    after = ws.cli("backup", "--json")
    assert "cleaned up after a killed backup: 1 snapshot(s) marked unreconciled" in after.stderr
    assert [s["state"] for s in ws.cli_json("snapshots")] == ["unreconciled", "complete"]
    assert not (ws.state / "records").exists() or list((ws.state / "records").iterdir()) == []
    first = ws.cli_json("snapshots")[0]["id"]
    report = json.loads(ws.cli("restore-test", "--runtime", "local", "--snapshot", first, "--json", check=False).stdout)
    assert report["verdict"] == "warn" and fails(report) == [], report["findings"]
    assert any("was never compared with its scan" in f["message"] for f in report["findings"])


def test_a_backup_killed_during_its_catch_up_pass_is_marked_unreconciled_by_the_next(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    inbox = find_mailboxes(ws.vmail, "%d/%n/Maildir")[0].path
    moving = sorted((inbox / "new").iterdir())[0]
    aside, passes = ws.root / "aside", ws.root / "passes"
    # The first pass misses a message (read between restic's listing of cur/ and new/); mailvault is
    # killed (SIGKILL) as its catch-up pass starts.
    wrapper = ws.root / "restic-killing"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$3" = backup ] && [ "$5" = -vv ]; then\n'
        f'  echo x >> "{passes}"\n'
        f'  if [ "$(wc -l < "{passes}")" = 2 ]; then kill -9 "$PPID"; exit 1; fi\n'
        f'  mv "{moving}" "{aside}"; restic "$@"; rc=$?; mv "{aside}" "{inbox}/cur/{moving.name}:2,S"; exit $rc\n'
        "fi\n"
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{wrapper}"\n')
    killed = ws.cli("backup", check=False)
    assert killed.returncode == -9 and "catching them up" in killed.stderr
    ws.write_config()
    after = ws.cli("backup", "--json")
    assert "cleaned up after a killed backup: 1 snapshot(s) marked unreconciled" in after.stderr
    states = [s["state"] for s in ws.cli_json("snapshots")]
    assert states[1:] == ["unreconciled", "complete"], states
    killed_snap = ws.cli_json("snapshots")[1]["id"]
    # The killed run's snapshot lacks the message its scan counted: a warning, not a false alarm.
    report = json.loads(
        ws.cli("restore-test", "--runtime", "local", "--snapshot", killed_snap, "--json", check=False).stdout
    )
    assert report["verdict"] == "warn" and fails(report) == [], report["findings"]
    assert any("was never compared with its scan" in f["message"] for f in report["findings"])
    # The next backup holds the message again, in cur/ with its new flag.
    latest = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert latest["verdict"] == "pass", latest["findings"]


def test_a_backup_killed_while_restic_opens_the_repository_leaves_no_restic_behind(ws: Workspace) -> None:
    """restic starts before the scan's files are written and waits at its gate (a FIFO it reads as an
    exclude file). mailvault killed then (SIGKILL) must not leave a restic waiting there for ever,
    holding a lock: it dies with mailvault, and the next run removes the FIFO and says so."""
    ws.generate()
    ws.cli("init")
    wrapper = ws.root / "restic-killing"
    wrapper.write_text(
        "#!/bin/sh\n"
        # the gated first pass: mailvault is killed as restic starts (restic takes ~0.4 s to open)
        'case "$*" in *--exclude-file*) kill -9 "$PPID";; esac\n'
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    ws.write_config(ws.extra_toml + f'[restic]\nbinary = "{wrapper}"\n')
    killed = ws.cli("backup", check=False)
    assert killed.returncode == -9
    gate = ws.state / "restic-gate.fifo"
    assert gate.is_fifo()
    deadline = datetime.now(UTC).timestamp() + 15
    waiting = ["x"]
    while waiting and datetime.now(UTC).timestamp() < deadline:
        found = subprocess.run(["pgrep", "-f", str(gate)], capture_output=True, text=True)
        waiting = found.stdout.split()
    assert waiting == [], "a restic still waits at the gate of a killed backup"
    ws.write_config()
    after = ws.cli("backup", "--json")
    assert f"removing {gate}, left by a backup that was killed while restic waited there" in after.stderr
    assert not gate.exists()
    assert [s["state"] for s in ws.cli_json("snapshots")] == ["complete"]
    report = json.loads(ws.cli("restore-test", "--runtime", "local", "--json", check=False).stdout)
    assert report["verdict"] == "pass", report["findings"]
