"""`preset = "gmail"` on the source: labels become folders and All Mail brings only what no label held
(archived mail), against a Dovecot laid out like Gmail's IMAP ([Gmail]/All Mail with \\All)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import message, this_host
from tests.e2e.accounts_file import write_accounts
from tests.e2e.raw_imap import imap
from tests.e2e.test_migrate import NEW_USERS, USERS, snapshot
from tests.e2e.workspace import Workspace

USER = "alice@example.com"
GMAIL = """
namespace inbox {
  inbox = yes
  separator = /
  mailbox "[Gmail]/All Mail" {
    special_use = \\All
    auto = subscribe
  }
  mailbox "[Gmail]/Sent Mail" {
    special_use = \\Sent
    auto = subscribe
  }
}
"""
LABELS = {"INBOX": [1, 2, 3], "Work": [2, 4], "[Gmail]/Sent Mail": [6]}
ALL_MAIL = [1, 2, 3, 4, 5, 6]  # 5 is archived: in no label


def test_all_mail_brings_only_what_no_label_held(local_ws: Workspace, tmp_path: Path) -> None:
    gmail = DovecotServer(tmp_path / "gmail", USERS, mail_location="maildir:~/Maildir:LAYOUT=fs", extra=GMAIL).start()
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        client = imap(gmail, USER)
        client.create_folder("Work")
        base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        for folder, numbers in [*LABELS.items(), ("[Gmail]/All Mail", ALL_MAIL)]:
            for n in numbers:  # the same message, with the same arrival date, under each of its labels
                client.append(folder, message(n, subject=f"gmail {n}"), msg_time=base + timedelta(hours=n))
        client.logout()
        accounts = tmp_path / "accounts.toml"
        old_pw, new_pw = local_ws.write_secret("g", USERS[USER]), local_ws.write_secret("n", NEW_USERS[USER])
        write_accounts(accounts, gmail.port, new.port, USER, old_pw, new_pw, source='preset = "gmail"')
        report = json.loads(local_ws.cli("migrate", "run", str(accounts), "--json").stdout)
        assert report["ok"], report
        (account,) = report["accounts"]
        assert account["copied"] == 3 + 2 + 1 + 1, "each label's messages, and from All Mail only message 5"
        (all_mail,) = [f for f in account["folders"] if f["source"] == "[Gmail]/All Mail"]
        assert all_mail["held_elsewhere"] == 5 and all_mail["copied"] == 1
        assert report["verify"][0]["missing"] == 0

        copied = snapshot(new, USER)
        numbers = {
            name: sorted(int(m[0].split(b"gmail ")[1].split(b"\r\n")[0]) for m in msgs)
            for name, msgs in copied.items()
            if msgs
        }
        assert numbers["INBOX"] == [1, 2, 3] and numbers["INBOX.Work"] == [2, 4]
        assert numbers["INBOX.Archive"] == [5], numbers

        again = json.loads(local_ws.cli("migrate", "run", str(accounts), "--json").stdout)
        assert again["ok"] and again["accounts"][0]["copied"] == 0
    finally:
        gmail.stop()
        new.stop()
