"""Two real Dovecot servers configured unlike each other, seeded over IMAP with the hard cases.

- the old provider: separator '/', no namespace prefix, LAYOUT=fs (so '.' may appear in names),
  special-use folders called Sent, Drafts, Trash, Spam;
- this host: separator '.', namespace prefix 'INBOX.', Maildir++, special-use folders called
  "Sent Messages", "Deleted Messages", Junk, Drafts, and a storage quota.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.imap.client import ImapSession
from mailvault.imap.connect import connect, login

OLD_NAMESPACE = """
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Spam {
    special_use = \\Junk
    auto = subscribe
  }
}
"""
NEW_NAMESPACE = """
namespace inbox {
  inbox = yes
  separator = .
  prefix = INBOX.
  mailbox "Sent Messages" {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox "Deleted Messages" {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
}
mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota
}
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=%s
}
"""


def old_provider(root: Path, users: dict[str, str]) -> DovecotServer:
    return DovecotServer(root, users, mail_location="maildir:~/Maildir:LAYOUT=fs", extra=OLD_NAMESPACE).start()


def this_host(root: Path, users: dict[str, str], quota: str = "200M") -> DovecotServer:
    return DovecotServer(root, users, extra=NEW_NAMESPACE % quota).start()


def imap(server: DovecotServer, user: str) -> ImapSession:
    """Logged in as ``user`` on the demo server (plain text on loopback); names as on the wire."""
    client = connect("127.0.0.1", server.port, tls="none")
    login(client, user, server.users[user], where=f"demo Dovecot on port {server.port}")
    return client


@dataclass(frozen=True)
class Seeded:
    """What was put on the source: per folder (wire name), the message bodies in order."""

    folders: dict[str, list[bytes]]

    @property
    def messages(self) -> int:
        return sum(len(v) for v in self.folders.values())


def message(n: int, *, subject: str = "", message_id: bool = True, size: int = 0, extra: bytes = b"") -> bytes:
    headers = [
        b"From: Alice <alice@old.example>",
        b"To: bob@example.com",
        ("Subject: " + (subject or f"message {n}")).encode(),
        b"Date: " + email.utils.format_datetime(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n)).encode(),
    ]
    if message_id:
        headers.append(f"Message-ID: <m{n}@old.example>".encode())
    body = (f"Body of message {n}.\r\n" * 3).encode() + (b"x" * 76 + b"\r\n") * (size // 78)
    return b"\r\n".join(headers) + b"\r\n" + extra + b"\r\n" + body


def seed(server: DovecotServer, user: str) -> Seeded:
    """INBOX, the special-use folders, nested, non-ASCII and odd names, an empty folder; flags,
    keywords and arrival dates; messages without Message-ID, a repeated Message-ID, 8-bit headers,
    malformed MIME."""
    client = imap(server, user)
    folders: dict[str, list[bytes]] = {}

    def put(folder: str, body: bytes, flags: tuple[bytes, ...] = (), when: datetime | None = None) -> None:
        if folder not in folders:
            if folder not in ("INBOX", "Sent", "Drafts", "Trash", "Spam") and not client.folder_exists(folder):
                client.create(folder)
            folders[folder] = []
        client.append(folder, body, flags, when or datetime(2023, 5, 1, 8, 30, tzinfo=UTC))
        folders[folder].append(body)

    for i in range(12):
        put("INBOX", message(i), (b"\\Seen",) if i % 2 else (), datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=i))
    put("INBOX", message(100, message_id=False, subject="no message-id"), (b"$Forwarded",))
    put("INBOX", message(101, subject="same id twice"), (b"$label1", b"\\Flagged"))
    put("INBOX", message(101, subject="same id twice, other body") + b"different\r\n", (b"Custom_Keyword",))
    put("INBOX", message(102, subject="8-bit", extra=b"X-Note: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n"), (b"$Junk",))
    put("INBOX", message(103, subject="broken mime",
        extra=b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nope\"\r\n"))  # fmt: skip
    for i in range(5):
        put("Sent", message(200 + i), (b"\\Seen",))
    put("Drafts", message(300), (b"\\Draft",))
    put("Trash", message(301), (b"\\Seen", b"\\Deleted"))
    put("Spam", message(302), (b"$Junk",))
    for i in range(3):
        put("Archive/2025", message(400 + i), (b"\\Seen", b"\\Answered"))
    put("Entw&APw-rfe", message(500, subject="Entwurf"), (b"\\Draft",))
    put("Kunden/A.B M&APw-ller", message(501))
    put("Re&AOc-us/Banque", message(502))
    client.create("Empty")
    folders["Empty"] = []
    client.subscribe("Archive/2025")
    client.logout()
    return Seeded(folders)
