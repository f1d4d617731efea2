"""A realistic generated mail store in Dovecot's maildir format, for the demo, tests and benchmarks.

Several domains and users, nested and non-ASCII folders (modified UTF-7 on disk),
flags, keywords (``dovecot-keywords``), ``dovecot-uidlist``, attachments, and
message files whose mtime is the message date (Dovecot's INTERNALDATE).
"""

from __future__ import annotations

import base64
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.mail import utf7

FOLDERS = ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive", "Archive.2025", "Entwürfe", "Reçus.Banque", "日本語")
KEYWORDS = ("$Forwarded", "$label1", "Projekt-X")
FLAG_CHOICES = ("", "S", "S", "S", "RS", "FS", "ST", "DS")
SUBJECTS = ("Quarterly report", "Re: lunch?", "Grüße aus Köln", "Invoice 2026-11", "Meeting notes", "会議の議事録")


@dataclass
class StoreSpec:
    domains: tuple[str, ...] = ("example.com", "example.org")
    users: tuple[str, ...] = ("alice", "bob", "carol")
    messages_per_folder: int = 8
    body_bytes: int = 2000
    attachment_every: int = 5
    attachment_bytes: int = 30000
    seed: int = 1
    folders: tuple[str, ...] = FOLDERS


@dataclass
class Generated:
    root: Path
    mailboxes: list[str] = field(default_factory=list)
    messages: int = 0


def folder_dir(maildir: Path, folder: str) -> Path:
    """The on-disk directory of a maildir++ folder: ``Entwürfe`` -> ``.Entw&APw-rfe``."""
    return maildir if folder == "INBOX" else maildir / ("." + ".".join(utf7.encode(p) for p in folder.split(".")))


def make_maildir(path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def message_bytes(rng: random.Random, n: int, user: str, domain: str, date: datetime, spec: StoreSpec) -> bytes:
    subject = rng.choice(SUBJECTS)
    words = ("lorem", "ipsum", "mail", "backup", "restore", "dovecot", "postfix", "über", "naïve")
    body = " ".join(rng.choice(words) for _ in range(spec.body_bytes // 6))
    lines = [
        f"Return-Path: <sender{n}@remote.example>",
        f"From: Sender {n} <sender{n}@remote.example>",
        f"To: {user}@{domain}",
        f"Subject: {subject}",
        f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <{n}.{rng.getrandbits(40):x}@remote.example>",
        "MIME-Version: 1.0",
    ]
    if spec.attachment_every and n % spec.attachment_every == 0:
        blob = base64.encodebytes(rng.randbytes(spec.attachment_bytes)).decode()
        lines += [
            'Content-Type: multipart/mixed; boundary="b1"',
            "",
            "--b1",
            "Content-Type: text/plain; charset=utf-8",
            "",
            body,
            "--b1",
            'Content-Type: application/pdf; name="report.pdf"',
            "Content-Transfer-Encoding: base64",
            "",
            blob.rstrip("\n"),
            "--b1--",
        ]
    else:
        lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _flags(rng: random.Random) -> str:
    letters = set(rng.choice(FLAG_CHOICES))
    if rng.random() < 0.2:
        letters.add(rng.choice("abc"))  # keywords from dovecot-keywords
    return "".join(sorted(letters, key=lambda c: (c.islower(), c)))


def deliver(folder: Path, data: bytes, *, date: datetime, seq: int, flags: str | None, host: str = "mail") -> Path:
    """Write one message as Dovecot would: ``<time>.M<usec>P<pid>Q<seq>.<host>,S=<size>,W=<crlf size>``."""
    ts = int(date.timestamp())
    wsize = len(data) + data.count(b"\n")
    base = f"{ts}.M{seq % 1000000}P{os.getpid()}Q{seq}.{host},S={len(data)},W={wsize}"
    path = folder / ("new" if flags is None else "cur") / (base if flags is None else f"{base}:2,{flags}")
    path.write_bytes(data)
    os.utime(path, (ts, ts))
    return path


def generate(root: Path, spec: StoreSpec | None = None, *, start_seq: int = 0) -> Generated:
    """Create the store under ``root`` (layout ``%d/%n/Maildir``); deterministic for a given seed."""
    spec = spec or StoreSpec()
    rng = random.Random(spec.seed)
    out = Generated(root)
    seq = start_seq
    base_date = datetime(2026, 1, 1, tzinfo=UTC)
    for domain in spec.domains:
        for user in spec.users:
            maildir = root / domain / user / "Maildir"
            out.mailboxes.append(f"{user}@{domain}")
            for folder in spec.folders:
                fdir = folder_dir(maildir, folder)
                make_maildir(fdir)
                if folder != "INBOX":
                    (fdir / "maildirfolder").touch()
                (fdir / "dovecot-keywords").write_text("".join(f"{i} {k}\n" for i, k in enumerate(KEYWORDS)))
                uids = []
                for i in range(spec.messages_per_folder):
                    seq += 1
                    date = base_date + timedelta(minutes=seq * 7 + rng.randrange(60))
                    data = message_bytes(rng, seq, user, domain, date, spec)
                    new = folder == "INBOX" and i >= spec.messages_per_folder - 2
                    path = deliver(fdir, data, date=date, seq=seq, flags=None if new else _flags(rng))
                    uids.append(path.name.split(":")[0])
                    out.messages += 1
                uidvalidity = 1700000000 + rng.randrange(1000000)
                # (a mailbox GUID is 128 bits: Dovecot rebuilds a uidlist with a shorter one, new UIDVALIDITY and all)
                lines = [f"3 V{uidvalidity} N{len(uids) + 1} G{rng.getrandbits(128):032x}"]
                lines += [f"{n} :{b}" for n, b in enumerate(uids, 1)]
                (fdir / "dovecot-uidlist").write_text("\n".join(lines) + "\n")
            (maildir / "subscriptions").write_text(
                "\n".join(utf7.encode(f) for f in spec.folders if f != "INBOX") + "\n"
            )
            (maildir / "dovecot.index.log").write_bytes(b"\x01index-noise")
    return out


def iter_message_paths(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) in ("cur", "new"):
            for name in files:
                yield Path(dirpath) / name


def make_server_config(base: Path, vmail: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Small but real stand-ins for /etc/postfix, /etc/dovecot and the key directories (a self-signed
    TLS certificate with its key, a DKIM key); returns (config dirs, key dirs). Postfix accepts mail
    for the mailboxes generate() made under ``vmail`` (default ``base``/vmail) and hands it to Dovecot
    by LMTP."""
    postfix, dovecot = base / "etc" / "postfix", base / "etc" / "dovecot"
    dkim, tls = base / "etc" / "opendkim" / "keys", base / "etc" / "ssl" / "mail"
    for d in (postfix, dovecot, dkim, tls):
        d.mkdir(parents=True, exist_ok=True)
    vmail = vmail or base / "vmail"  # as generate() makes it: %d/%n/Maildir
    boxes = sorted((d.parent.parent.name, d.parent.name) for d in vmail.glob("*/*/Maildir") if d.is_dir())
    (postfix / "vmailbox").write_text("".join(f"{user}@{domain} {domain}/{user}/Maildir/\n" for domain, user in boxes))
    (postfix / "main.cf").write_text(
        "myhostname = mail.example.com\ncompatibility_level = 3.6\n"
        f"virtual_mailbox_domains = {', '.join(sorted({domain for domain, _ in boxes})) or 'example.com'}\n"
        f"virtual_mailbox_base = {vmail}\nvirtual_mailbox_maps = texthash:{postfix}/vmailbox\n"
        "virtual_transport = lmtp:unix:private/dovecot-lmtp\n"
        f"smtpd_tls_cert_file = {tls}/fullchain.pem\nsmtpd_tls_key_file = {tls}/privkey.pem\n"
    )
    (postfix / "master.cf").write_text(
        "smtp      inet  n       -       y       -       -       smtpd\n"
        "pickup    unix  n       -       y       60      1       pickup\n"
        "cleanup   unix  n       -       y       -       0       cleanup\n"
        "qmgr      unix  n       -       n       300     1       qmgr\n"
    )
    (dovecot / "dovecot.conf").write_text("protocols = imap\nmail_location = maildir:~/Maildir\n")
    cert, key, dkim_key = _demo_keys()
    (tls / "fullchain.pem").write_bytes(cert)
    for path, data in ((tls / "privkey.pem", key), (dkim / "mail.private", dkim_key)):
        path.write_bytes(data)
        path.chmod(0o600)
    return [postfix, dovecot], [dkim, tls]


def _demo_keys() -> tuple[bytes, bytes, bytes]:
    """A self-signed certificate for mail.example.com (a year), its EC key, and a 2048-bit DKIM RSA key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8, none = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    dkim = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return cert.public_bytes(pem), key.private_bytes(pem, pkcs8, none), dkim.private_bytes(pem, pkcs8, none)
