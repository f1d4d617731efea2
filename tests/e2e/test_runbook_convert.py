"""runbooks/convert-to-maildir.md, run as written on a real Dovecot whose store is Debian's default
mbox (INBOX in a spool, folders in ~/mail), with mail arriving, flags set and a message expunged
between the first copy and the last pass."""

from __future__ import annotations

import json
import mailbox
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mailvault.demo.dovecot import NOBODY, DovecotServer

RUNBOOK = Path(__file__).parents[2] / "runbooks" / "convert-to-maildir.md"
USERS = ("alice", "bob")
SEPARATOR = "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"


def steps() -> list[str]:
    """Every indented mailvault, doveadm or postconf line of the runbook, in order."""
    runnable = re.compile(r"^ {4,}(mailvault|doveadm|postconf) ")
    return [line.strip() for line in RUNBOOK.read_text().splitlines() if runnable.match(line)]


def mbox_host(root: Path) -> DovecotServer:
    """Two users, each with 5 messages in the spool INBOX, 3 in Sent and 4 in Archive/2025 (every
    second one read), bob 2 more in lists.debian, owned by the mail user as Dovecot needs; Dovecot
    not yet started."""
    spool = root / "var-mail"
    spool.mkdir(parents=True)
    spool.chmod(0o1777)  # Debian's /var/mail is group-writable for dotlocks; here anyone may
    server = DovecotServer(root / "dovecot", dict.fromkeys(USERS, "pw"), mail_location=f"mbox:~/mail:INBOX={spool}/%u")
    for user in USERS:
        home = server.home(user).parent
        (home / "mail" / "Archive").mkdir(parents=True)
        boxes = [(spool / user, 5), (home / "mail" / "Sent", 3), (home / "mail" / "Archive" / "2025", 4)]
        if user == "bob":
            boxes.append((home / "mail" / "lists.debian", 2))  # a dot Maildir++ cannot keep in a name
        for path, count in boxes:
            box = mailbox.mbox(str(path))
            for i in range(count):
                message = mailbox.mboxMessage(
                    f"From: someone@example.org\nTo: {user}@example.com\nSubject: {path.name} {i}\n"
                    f"Message-ID: <{user}.{path.name}.{i}@example.org>\nDate: Mon, 1 Jan 2024 10:0{i}:00 +0000\n\n"
                    f"Message {i}.\nFrom here on, a line mbox must quote.\n"
                )
                if i % 2:
                    message.set_flags("RO")
                box.add(message)
            box.close()
        for path in [home, *home.rglob("*"), spool / user]:
            os.chown(path, NOBODY, NOBODY)
    return server


def counts(status: str) -> dict[str, tuple[int, int]]:
    """`doveadm mailbox status 'messages unseen' '*'` output as folder -> (messages, unseen)."""
    found = re.findall(r"^(.+?) messages=(\d+) unseen=(\d+)$", status, re.MULTILINE)
    return {folder: (int(m), int(u)) for folder, m, u in found}


class Operator:
    """Runs the runbook's commands as written, each given this fixture's Dovecot and Postfix config."""

    def __init__(self, server: DovecotServer, postfix: Path, nowhere: Path, spool: Path) -> None:
        self.conf, self.postfix, self.spool = str(server.root / "dovecot.conf"), postfix, spool
        self.given = ["--dovecot-config", self.conf, "--postfix-config", str(postfix)]
        self.given += ["--opendkim-config", str(nowhere), "--rspamd-config", str(nowhere)]

    def run(self, step: str, user: str = "alice") -> subprocess.CompletedProcess[str]:
        argv = shlex.split(step.replace("alice", user).replace("/var/mail/", f"{self.spool}/"))
        if argv[0] == "mailvault":
            argv = [sys.executable, "-m", "mailvault", *argv[1:], *self.given]
        else:
            argv[1:1] = ["-c", self.conf if argv[0] == "doveadm" else str(self.postfix)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=300)

    def doveadm(self, *args: str, text: str | None = None) -> None:
        subprocess.run(["doveadm", "-c", self.conf, *args], input=text, text=True, check=True, capture_output=True)


def first_copy_under_live_mail(op: Operator, first: str) -> None:
    """Step 4 while ten messages arrive for alice; then, before the doors close, a client reads one,
    deletes one, and one more message arrives: all in the mbox store, for the last pass to carry."""

    def deliver(count: int) -> None:
        for i in range(count):
            text = f"From: late@example.org\nSubject: late {i}\nMessage-ID: <late.{count}.{i}@x>\n\nLate.\n"
            op.doveadm("save", "-u", "alice", "-m", "INBOX", text=text)

    arriving = threading.Thread(target=deliver, args=(10,))
    arriving.start()
    assert all(op.run(first, user).returncode == 0 for user in USERS)
    arriving.join()
    op.doveadm("flags", "add", "-u", "alice", "\\Seen", "mailbox", "INBOX", "uid", "1")
    op.doveadm("expunge", "-u", "alice", "mailbox", "Sent", "uid", "1")
    deliver(1)


def restart(server: DovecotServer, *, serving: bool, location: str | None = None) -> None:
    server.stop()
    server.serving = serving
    server.mail_location = location or server.mail_location
    server.start()


def test_convert_to_maildir_runbook(tmp_path: Path) -> None:
    written = steps()
    assert len(written) == 8, written  # a step dropped from the runbook must be noticed
    detect, status, first, delivers, last, home_mailbox, status_after, detect_after = written
    assert last == first
    server = mbox_host(tmp_path).start()
    (tmp_path / "postfix").mkdir()
    (tmp_path / "postfix" / "main.cf").write_text("compatibility_level = 3.6\n")
    op = Operator(server, tmp_path / "postfix", tmp_path / "none", tmp_path / "var-mail")
    try:
        refused = op.run(detect)
        assert refused.returncode == 1 and "the store is mbox" in refused.stdout + refused.stderr, refused
        unsure = op.run(first)  # step 2 is needed: without the separator dsync refuses, and writes nothing
        assert unsure.returncode != 0 and "same hierarchy separator" in unsure.stderr, unsure.stderr
        assert not server.home("alice").exists()
        server.extra = SEPARATOR
        restart(server, serving=True)
        before = {u: counts(op.run(status, u).stdout) for u in USERS}
        assert before["alice"] == {"INBOX": (5, 3), "Sent": (3, 2), "Archive/2025": (4, 2)}, before
        first_copy_under_live_mail(op, first)
        said = op.run(delivers).stdout.split("\n")
        assert said[:2] == ["mailbox_command =", "mailbox_transport ="], said  # Postfix writes /var/mail itself
        restart(server, serving=False)  # protocols = none: no client logs in, doveadm still works
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5)
        assert all(op.run(last, user).returncode == 0 for user in USERS)
        restart(server, serving=True, location="maildir:~/Maildir")
        assert op.run(home_mailbox).returncode == 0
        home = subprocess.run(["postconf", "-c", op.postfix, "-h", "home_mailbox"], capture_output=True, text=True)
        assert home.stdout.strip() == "Maildir/"
        after = {u: counts(op.run(status_after, u).stdout) for u in USERS}
        renamed = {("lists_debian" if k == "lists.debian" else k): v for k, v in before["bob"].items()}
        assert after["bob"] == renamed and "lists_debian" in after["bob"], after
        assert after["alice"] == {"INBOX": (16, 13), "Sent": (2, 1), "Archive/2025": (4, 2)}, after
        assert (server.home("alice") / ".Archive.2025" / "cur").is_dir()  # on disk: Maildir++ as usual
        assert op.run(detect_after).returncode == 0
        seen = json.loads(op.run(detect_after + " --json").stdout)["items"]
        store = next(i for i in seen if i["what"] == "store")
        assert "2 maildirs" in store["how"], seen
        assert any(i["what"] == "layout" and i["value"] == "dovecot" for i in seen), seen
    finally:
        server.stop()
