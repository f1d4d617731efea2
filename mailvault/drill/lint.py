"""Linting a restored tree against the snapshot's manifest (filesystem edge, read-only).

Per folder: the message files' (base name, size) digest, count, bytes, newest mtime and
UIDVALIDITY equal the manifest's; every ``,S=`` in a file name equals the file's size. Also
the virtual (CRLF) size IMAP will report, so the IMAP check can compare like with like.
TLS certificates among the restored keys must match a restored key and not expire soon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.drill.judge import Finding, Level
from mailvault.mail.listing import list_many
from mailvault.mail.maildir import FolderFiles, read_uidvalidity
from mailvault.mail.maildir_flags import flags_digest
from mailvault.mail.manifest import folder_digest
from mailvault.mail.manifest_model import SCANNED, FolderEntry, Manifest
from mailvault.mail.restore_plan import folder_dir, restored

_SIZE = re.compile(r",S=(\d+)")
_W = re.compile(r",W=(\d+)")
CERT_WARN_DAYS = 14


@dataclass
class FolderFacts:
    """What the restored copy of one folder holds, for the IMAP check."""

    mailbox: str
    imap_name: str
    messages: int
    virtual_bytes: int
    path: Path


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    folders: list[FolderFacts] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0


def virtual_size(path: Path, name: str) -> int:
    """The size IMAP reports (RFC822.SIZE): ``W=`` from the name when Dovecot wrote one, else counted."""
    found = _W.search(name.partition(":")[0])
    if found:
        return int(found.group(1))
    data = path.read_bytes()
    return len(data) + data.count(b"\n") - data.count(b"\r\n")


def restored_uidvalidity(root: Path, manifest: Manifest) -> dict[Path, int | None]:
    """UIDVALIDITY of every restored folder, read before Dovecot serves the tree: Dovecot rewrites a
    ``dovecot-uidlist`` it finds broken, and the lint must judge what restic restored."""
    return {fact.path: read_uidvalidity(fact.path) for fact in planned_folders(root, manifest)}


def lint_mail(
    root: Path, manifest: Manifest, read_before: dict[Path, int | None] | None = None, *, mismatch: Level = "fail"
) -> LintResult:
    """Compare every manifest folder with its restored copy under ``root`` (``read_before``: as
    :func:`restored_uidvalidity` read it before the tree was served). ``mismatch``: the level of a
    folder whose messages differ (a warning for an unreconciled snapshot, whose differences from
    its scan may be churn)."""
    result = LintResult()
    uidvalidity_of = read_before or {}
    folders = [
        (mailbox, entry, restored(root, folder_dir(mailbox.path, entry.name, manifest.folder_layout)))
        for mailbox in manifest.mailboxes
        for entry in mailbox.folders
    ]
    listings = list_many([path for _, _, path in folders])
    for (mailbox, entry, path), files in zip(folders, listings, strict=True):
        where = f"{mailbox.name} {entry.display}"
        result.messages += len(files.files)
        result.bytes += files.bytes
        # (a record's bytes are -1, its digest "", when a file came and went during the run unsized)
        if len(files.files) != entry.messages or (entry.bytes >= 0 and files.bytes != entry.bytes):
            result.findings.append(Finding(mismatch, "lint", (
                f"{where}: {len(files.files)} messages, {files.bytes} bytes restored; the manifest"
                f" {'of record ' if manifest.state != SCANNED else ''}says {entry.messages}, {entry.bytes}:"
                " the restore does not hold what the snapshot does"
            )))  # fmt: skip
        else:
            result.findings += _same_messages(entry, files, where, mismatch)
        uidvalidity = uidvalidity_of[path] if path in uidvalidity_of else read_uidvalidity(path)
        if entry.uidvalidity is not None and uidvalidity != entry.uidvalidity:
            result.findings.append(Finding("fail", "lint", (
                f"{where}: UIDVALIDITY {uidvalidity} restored, {entry.uidvalidity} backed up:"
                " clients would download the folder again"
            )))  # fmt: skip
        if entry.newest and entry.newest_file:  # a record names the file whose mtime it knows
            restored_newest = _mtime(path / entry.newest_file)
            if restored_newest != entry.newest:
                result.findings.append(Finding(mismatch, "lint", (
                    f"{where}: message {entry.newest_file.rpartition('/')[2]} dated {restored_newest},"
                    f" backed up as {entry.newest}: file times (IMAP INTERNALDATE) were not kept"
                )))  # fmt: skip
        elif entry.newest and files.newest is not None:  # (the listing's own lstat: no second stat per file)
            restored_newest = datetime.fromtimestamp(files.newest, UTC).isoformat(timespec="seconds")
            if restored_newest != entry.newest:
                result.findings.append(Finding(mismatch, "lint", (
                    f"{where}: newest message dated {restored_newest}, backed up as {entry.newest}:"
                    " file times (IMAP INTERNALDATE) were not kept"
                )))  # fmt: skip
        virtual = 0
        for _base, size, rel in files.files:
            match = _SIZE.search(rel.partition(":")[0])
            if match and int(match.group(1)) != size:
                result.findings.append(
                    Finding("fail", "lint", f"{where}: {rel} says S={match.group(1)}, holds {size} bytes")
                )
            virtual += virtual_size(path / rel, rel.rpartition("/")[2])
        result.folders.append(FolderFacts(mailbox.name, entry.name, len(files.files), virtual, path))
    return result


def _mtime(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime, UTC).isoformat(timespec="seconds")
    except OSError:
        return "(not restored)"


def _same_messages(entry: FolderEntry, files: FolderFiles, where: str, mismatch: Level) -> list[Finding]:
    """As many messages as the manifest says: are they the same ones (digest), with the same flags?"""
    if entry.digest and folder_digest(files.files) != entry.digest:
        return [Finding(mismatch, "lint", f"{where}: the restored messages differ from the manifest")]
    if entry.flags and flags_digest(rel for _, _, rel in files.files) != entry.flags:
        lost = f"{where}: the restored messages' flags differ from the manifest's (seen, answered, flagged …)"
        return [Finding(mismatch, "lint", lost)]
    return []


def planned_folders(root: Path, manifest: Manifest) -> list[FolderFacts]:
    """The manifest's folders where the restore put them, before the lint has read them: what the
    IMAP check asks for while the lint runs. Counts are the manifest's; sizes unknown (-1)."""
    return [
        FolderFacts(
            mailbox.name,
            entry.name,
            entry.messages,
            -1,
            restored(root, folder_dir(mailbox.path, entry.name, manifest.folder_layout)),
        )
        for mailbox in manifest.mailboxes
        for entry in mailbox.folders
    ]


def lint_certificates(paths: list[Path], *, now: datetime | None = None) -> list[Finding]:
    """Every restored PEM certificate has a restored private key that matches it, and time left."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    now = now or datetime.now(UTC)
    certs: list[tuple[Path, x509.Certificate]] = []
    public_keys: list[bytes] = []
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    for base in paths:
        for path in sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []:
            data = path.read_bytes()
            if b"-----BEGIN CERTIFICATE-----" in data:
                try:
                    certs.append((path, x509.load_pem_x509_certificate(data)))
                except ValueError:
                    continue
            elif b"PRIVATE KEY-----" in data:
                try:
                    key = serialization.load_pem_private_key(data, password=None)
                except (ValueError, TypeError):
                    continue
                public_keys.append(key.public_key().public_bytes(serialization.Encoding.DER, raw))
    findings = []
    for path, cert in certs:
        mine = cert.public_key().public_bytes(serialization.Encoding.DER, raw)
        if mine not in public_keys:
            findings.append(Finding("warn", "lint", f"TLS certificate {path.name}: no restored private key matches it"))
        left = cert.not_valid_after_utc - now
        if left < timedelta(0):
            findings.append(
                Finding("fail", "lint", f"TLS certificate {path.name} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
            )
        elif left < timedelta(days=CERT_WARN_DAYS):
            findings.append(Finding("warn", "lint", f"TLS certificate {path.name} expires in {left.days} days"))
    return findings
