"""runbooks/convert-to-maildir.md, run as written on a real Dovecot whose store is Debian's default
mbox (INBOX in a spool, folders in ~/mail), with mail arriving, flags set and a message expunged
between the first copy and the last pass."""

from __future__ import annotations

import json
import mailbox
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from mailvault.demo.dovecot import NOBODY, DovecotServer

RUNBOOK = Path(__file__).parents[2] / "runbooks" / "convert-to-maildir.md"
USERS = ("alice", "bob")
SEPARATOR = "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"


def steps() -> list[str]:
    """Every indented mailvault, doveadm or postconf line of the runbook, in order."""
    runnable = re.compile(r"^    (mailvault|doveadm|postconf) ")
    return [line.strip() for line in RUNBOOK.read_text().splitlines() if runnable.match(line)]


def mbox_host(root: Path) -> DovecotServer:
    """Two users, each with 5 messages in the spool INBOX, 3 in Sent and 4 in Archive/2025 (every
    second one read), owned by the mail user as Dovecot needs; Dovecot not yet started."""
    spool = root / "var-mail"
    spool.mkdir(parents=True)
    spool.chmod(0o1777)  # Debian's /var/mail is group-writable for dotlocks; here anyone may
    server = DovecotServer(root / "dovecot", dict.fromkeys(USERS, "pw"), mail_location=f"mbox:~/mail:INBOX={spool}/%u")
    for user in USERS:
        home = server.home(user).parent
        (home / "mail" / "Archive").mkdir(parents=True)
        for path, count in ((spool / user, 5), (home / "mail" / "Sent", 3), (home / "mail" / "Archive" / "2025", 4)):
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

    def __init__(self, server: DovecotServer, postfix: Path, nowhere: Path) -> None:
        self.conf, self.postfix = str(server.root / "dovecot.conf"), postfix
        self.given = ["--dovecot-config", self.conf, "--postfix-config", str(postfix)]
        self.given += ["--opendkim-config", str(nowhere), "--rspamd-config", str(nowhere)]

    def run(self, step: str, user: str = "alice") -> subprocess.CompletedProcess[str]:
        argv = shlex.split(step.replace("alice", user))
        if argv[0] == "mailvault":
            argv = [sys.executable, "-m", "mailvault", *argv[1:], *self.given]
        else:
            argv[1:1] = ["-c", self.conf if argv[0] == "doveadm" else str(self.postfix)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=300)

    def doveadm(self, *args: str, text: str | None = None) -> None:
        subprocess.run(["doveadm", "-c", self.conf, *args], input=text, text=True, check=True, capture_output=True)


def test_convert_to_maildir_runbook(tmp_path: Path) -> None:
    written = steps()
    assert len(written) == 7, written  # a step dropped from the runbook must be noticed
    detect, status, first, last, postconf, status_after, detect_after = written
    server = mbox_host(tmp_path).start()
    (tmp_path / "postfix").mkdir()
    (tmp_path / "postfix" / "main.cf").write_text("compatibility_level = 3.6\n")
    op = Operator(server, tmp_path / "postfix", tmp_path / "none")
    try:
        refused = op.run(detect)
        assert refused.returncode == 1 and "the store is mbox" in refused.stdout + refused.stderr, refused
        unsure = op.run(first)  # step 2 is needed: without the separator dsync refuses, and writes nothing
        assert unsure.returncode != 0 and "same hierarchy separator" in unsure.stderr, unsure.stderr
        assert not server.home("alice").exists()
        server.stop()
        server.extra = SEPARATOR
        server.start()
        before = {u: counts(op.run(status, u).stdout) for u in USERS}
        assert before["alice"] == {"INBOX": (5, 3), "Sent": (3, 2), "Archive/2025": (4, 2)}, before

        def deliver() -> None:
            for i in range(10):
                text = f"From: late@example.org\nSubject: late {i}\nMessage-ID: <late.{i}@x>\n\nLate.\n"
                op.doveadm("save", "-u", "alice", "-m", "INBOX", text=text)

        arriving = threading.Thread(target=deliver)
        arriving.start()  # mail keeps arriving during the first copy
        assert all(op.run(first, user).returncode == 0 for user in USERS)
        arriving.join()
        op.doveadm("flags", "add", "-u", "alice", "\\Seen", "mailbox", "INBOX", "uid", "1")  # a client reads one
        op.doveadm("expunge", "-u", "alice", "mailbox", "Sent", "uid", "1")  # and deletes one
        assert all(op.run(last, user).returncode == 0 for user in USERS)
        server.stop()
        server.mail_location = "maildir:~/Maildir"
        server.start()
        assert op.run(postconf).returncode == 0
        said = subprocess.run(["postconf", "-c", op.postfix, "-h", "home_mailbox"], capture_output=True, text=True)
        assert said.stdout.strip() == "Maildir/"
        after = {u: counts(op.run(status_after, u).stdout) for u in USERS}
        assert after["bob"] == before["bob"], after
        assert after["alice"] == {"INBOX": (15, 12), "Sent": (2, 1), "Archive/2025": (4, 2)}, after
        assert (server.home("alice") / ".Archive.2025" / "cur").is_dir()  # on disk: Maildir++ as usual
        assert op.run(detect_after).returncode == 0
        seen = json.loads(op.run(detect_after + " --json").stdout)["items"]
        store = next(i for i in seen if i["what"] == "store")
        assert "2 maildirs" in store["how"], seen
        assert any(i["what"] == "layout" and i["value"] == "dovecot" for i in seen), seen
    finally:
        server.stop()
