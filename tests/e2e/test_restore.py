"""`mailvault restore` against a real S3 repository: whole store, selectors, dates, config and keys."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailvault.mail.maildir import folder_files
from tests.e2e.workspace import Workspace


@pytest.fixture
def backed_up(ws: Workspace) -> Workspace:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    return ws


def under(target: Path, original: Path) -> Path:
    return target / str(original).lstrip("/")


def test_full_restore_keeps_mtimes_uidlists_and_keywords(backed_up: Workspace) -> None:
    ws = backed_up
    target = ws.root / "restored"
    result = ws.cli_json("restore", "latest", "--target", str(target))
    assert result["ok"] and result["mismatches"] == [] and result["messages"] == 80 and len(result["mailboxes"]) == 4
    alice = ws.vmail / "example.com" / "alice" / "Maildir"
    restored = under(target, alice)
    for name in ("dovecot-uidlist", ".Sent/dovecot-uidlist", ".Sent/dovecot-keywords"):
        assert (restored / name).read_bytes() == (alice / name).read_bytes(), name
    source = folder_files(alice)
    again = folder_files(restored)
    assert source.files == again.files
    for _base, _size, rel in source.files:
        assert os.stat(restored / rel).st_mtime == os.stat(alice / rel).st_mtime, "INTERNALDATE kept"
    refused = ws.cli("restore", "--target", str(target), check=False)
    assert refused.returncode == 1 and "is not empty; mailvault never restores over existing data" in refused.stderr


def test_one_folder_of_one_mailbox_and_a_date_window(backed_up: Workspace) -> None:
    ws = backed_up
    target = ws.root / "one"
    dry = ws.cli_json(
        "restore", "--mailbox", "bob@example.org", "--folder", "Entwürfe", "--target", str(target), "--dry-run"
    )
    assert dry["dry_run"] and dry["folder_names"] == ["bob@example.org/Entwürfe"] and not target.exists()
    result = ws.cli_json("restore", "--mailbox", "bob@example.org", "--folder", "Entwürfe", "--target", str(target))
    assert result["folders"] == 1 and result["messages"] == 5 and result["mismatches"] == []
    bob = ws.vmail / "example.org" / "bob" / "Maildir"
    assert sorted(p.name for p in under(target, bob).iterdir()) == [".Entw&APw-rfe"]
    assert not under(target, ws.vmail / "example.com").exists()

    alice = ws.vmail / "example.com" / "alice" / "Maildir"
    mtimes = sorted(os.stat(alice / rel).st_mtime for _, _, rel in folder_files(alice).files)
    cut = mtimes[len(mtimes) // 2]
    since = datetime.fromtimestamp(cut, UTC).isoformat()
    window = ws.root / "window"
    dated = ws.cli_json("restore", "--mailbox", "alice@example.com", "--folder", "INBOX", "--since", since,
                        "--target", str(window))  # fmt: skip
    kept = [t for t in mtimes if t >= cut]
    assert dated["messages"] == len(kept) and dated["removed_by_date"] == len(mtimes) - len(kept)
    assert len(folder_files(under(window, alice)).files) == len(kept)


def test_config_files_and_keys_only(backed_up: Workspace) -> None:
    ws = backed_up
    target = ws.root / "etc-restore"
    result = ws.cli_json("restore", "--config-files", "--keys", "--target", str(target))
    assert result["messages"] == 0 and sorted(result["extra_paths"]) == sorted(
        str(p) for p in [*ws.config_dirs, *ws.key_dirs]
    )
    for directory in [*ws.config_dirs, *ws.key_dirs]:
        for path in directory.rglob("*"):
            if path.is_file():
                assert under(target, path).read_bytes() == path.read_bytes()
    assert not under(target, ws.vmail).exists()


def test_selectors_that_match_nothing_fail_before_anything_is_written(backed_up: Workspace) -> None:
    ws = backed_up
    target = ws.root / "never"
    proc = ws.cli("restore", "--mailbox", "alice@example.con", "--target", str(target), check=False)
    assert proc.returncode == 1 and "did you mean alice@example.com" in proc.stderr
    proc = ws.cli("restore", "--folder", "Spam", "--target", str(target), check=False)
    assert proc.returncode == 1 and "no folder named Spam" in proc.stderr
    proc = ws.cli("restore", "deadbeef", "--target", str(target), check=False)
    assert proc.returncode == 1 and "no snapshot with id deadbeef" in proc.stderr
    assert not target.exists()
    snap = json.loads(ws.restic("snapshots", "--json"))[0]["id"]
    assert ws.cli_json("restore", snap[:8], "--folder", "Sent", "--target", str(target))["folders"] == 4


def test_into_imap_puts_a_folder_back_with_flags_keywords_and_dates(backed_up: Workspace, tmp_path: Path) -> None:
    from imapclient import IMAPClient

    from mailvault.demo.dovecot import DovecotServer
    from mailvault.mail.maildir_flags import imap_flags, parse_keywords

    ws = backed_up
    live_pw = "alice-live-password-1"
    server = DovecotServer(tmp_path / "live", {"alice@example.com": live_pw}).start()
    try:
        pw = ws.write_secret("imap-restore-pw", live_pw)
        ws.write_config(extra=f'[imap_restore]\nport = {server.port}\ntls = "none"\npassword_file = "{pw}"\n')
        with IMAPClient("127.0.0.1", port=server.port, ssl=False) as imap:
            imap.login("alice@example.com", live_pw)
            imap.append("INBOX", b"Subject: live mail\r\n\r\nstill here\r\n")
        dry = ws.cli_json("restore", "--into-imap", "alice@example.com", "--folder", "Sent", "--dry-run")
        assert dry["dry_run"] and dry["messages"] == 5
        done = ws.cli_json("restore", "--into-imap", "alice@example.com", "--folder", "Sent")
        assert done["messages"] == 5 and len(done["folders"]) == 1 and done["folders"][0].endswith(".Sent")
        source = ws.vmail / "example.com" / "alice" / "Maildir" / ".Sent"
        keywords = parse_keywords((source / "dovecot-keywords").read_text())
        expected = {}
        for sub in ("cur", "new"):
            for path in (source / sub).iterdir():
                data = path.read_bytes().replace(b"\n", b"\r\n")
                expected[data] = (set(imap_flags(path.name, keywords)), int(path.stat().st_mtime))
        with IMAPClient("127.0.0.1", port=server.port, ssl=False) as imap:
            imap.login("alice@example.com", live_pw)
            assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 1  # never touched
            imap.select_folder(done["folders"][0], readonly=True)
            fetched = imap.fetch(imap.search(["ALL"]), ["FLAGS", "INTERNALDATE", "BODY.PEEK[]"])
        got = {
            v[b"BODY[]"]: ({f.decode() for f in v[b"FLAGS"]} - {"\\Recent"}, int(v[b"INTERNALDATE"].timestamp()))
            for v in fetched.values()
        }
        assert got == expected, "every message, with its flags, keywords and date"
        assert any(kw in flags for flags, _ in got.values() for kw in keywords.values()), "keywords were exercised"
        again = ws.cli("restore", "--into-imap", "alice@example.com", "--folder", "Sent", check=False)
        assert again.returncode == 1 and "already exists in the mailbox: nothing was changed" in again.stderr
    finally:
        server.stop()
