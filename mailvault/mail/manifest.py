"""The mail manifest: what a snapshot must contain, per mailbox and folder.

Versioned JSON that travels inside every snapshot. Per folder: message count,
bytes, newest message time (file mtime, Dovecot's INTERNALDATE), UIDVALIDITY
and a digest over the sorted (base name, size) pairs; plus SHA-256 hashes of a
rotating sample of messages, both of the file and of its CRLF form (what IMAP serves).
"""

from __future__ import annotations

import hashlib
import json
import socket
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailvault.errors import SourceError
from mailvault.mail.layout import find_mailboxes
from mailvault.mail.maildir import FolderLayout, folder_files, list_folders, read_uidvalidity

FORMAT = "mailvault-manifest"
VERSION = 1


@dataclass(frozen=True)
class FolderEntry:
    name: str
    display: str
    messages: int
    bytes: int
    newest: str | None
    uidvalidity: int | None
    digest: str


@dataclass(frozen=True)
class MailboxEntry:
    name: str
    path: str
    folders: list[FolderEntry]

    @property
    def messages(self) -> int:
        return sum(f.messages for f in self.folders)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.folders)


@dataclass(frozen=True)
class SampleEntry:
    mailbox: str
    folder: str
    base: str
    size: int
    sha256: str
    sha256_crlf: str


@dataclass(frozen=True)
class Totals:
    mailboxes: int
    folders: int
    messages: int
    bytes: int


@dataclass
class Manifest:
    created: str
    hostname: str
    roots: list[str]
    mailboxes: list[MailboxEntry]
    samples: list[SampleEntry] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        return Totals(
            mailboxes=len(self.mailboxes),
            folders=sum(len(m.folders) for m in self.mailboxes),
            messages=sum(m.messages for m in self.mailboxes),
            bytes=sum(m.bytes for m in self.mailboxes),
        )

    def to_json(self) -> str:
        body: dict[str, Any] = {"format": FORMAT, "version": VERSION, **asdict(self), "totals": asdict(self.totals)}
        return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raise ValueError for another format or a newer version."""
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("not a mailvault manifest")
        if int(data.get("version", 0)) > VERSION:
            raise ValueError(f"manifest version {data['version']} is newer than this mailvault understands")
        return cls(
            created=data["created"],
            hostname=data["hostname"],
            roots=list(data["roots"]),
            mailboxes=[
                MailboxEntry(m["name"], m["path"], [FolderEntry(**f) for f in m["folders"]]) for m in data["mailboxes"]
            ],
            samples=[SampleEntry(**s) for s in data.get("samples", [])],
            unreadable=list(data.get("unreadable", [])),
        )


def folder_digest(pairs: list[tuple[str, int]] | list[tuple[str, int, str]]) -> str:
    """SHA-256 over sorted (base name, size) pairs: the folder's identity, blind to flag renames.

    >>> folder_digest([("b", 2), ("a", 1)]) == folder_digest([("a", 1), ("b", 2)])
    True
    """
    text = "".join(f"{p[0]}\0{p[1]}\n" for p in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts is not None else None


@dataclass(frozen=True)
class _Scanned:
    mailbox: str
    folder: str
    path: Path
    files: list[tuple[str, int, str]]


def scan(
    roots: list[Path],
    *,
    layout: str,
    folder_layout: FolderLayout,
    sample_size: int = 0,
    sample_cursor: int = 0,
) -> tuple[Manifest, int]:
    """Scan every mailbox under ``roots``; return the manifest and the next sample cursor.

    Raise SourceError when a root does not exist or holds no mailbox for ``layout``:
    an empty backup must never pass for a successful one.
    """
    mailboxes: list[MailboxEntry] = []
    scanned: list[_Scanned] = []
    for root in roots:
        if not root.is_dir():
            raise SourceError(
                f"maildir root {root} does not exist",
                hint="fix sources.maildirs in the config, or mount the mail store",
            )
        found = find_mailboxes(root, layout)
        if not found:
            raise SourceError(
                f"maildir root {root} holds no mailbox matching layout {layout!r}",
                hint="fix sources.layout (e.g. %d/%n/Maildir or %n/Maildir)",
            )
        for mbox in found:
            folders = []
            for folder in list_folders(mbox.path, folder_layout):
                found_files = folder_files(folder.path)
                folders.append(
                    FolderEntry(
                        name=folder.name,
                        display=folder.display,
                        messages=len(found_files.files),
                        bytes=found_files.bytes,
                        newest=_iso(found_files.newest),
                        uidvalidity=read_uidvalidity(folder.path),
                        digest=folder_digest(found_files.files),
                    )
                )
                scanned.append(_Scanned(mbox.name, folder.name, folder.path, found_files.files))
            mailboxes.append(MailboxEntry(mbox.name, str(mbox.path), folders))
    samples, unreadable, cursor = _sample(scanned, sample_size, sample_cursor)
    manifest = Manifest(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        hostname=socket.gethostname(),
        roots=[str(r) for r in roots],
        mailboxes=mailboxes,
        samples=samples,
        unreadable=unreadable,
    )
    return manifest, cursor


def _sample(scanned: list[_Scanned], size: int, cursor: int) -> tuple[list[SampleEntry], list[str], int]:
    """Hash ``size`` messages starting at position ``cursor`` of the whole store (wrapping around)."""
    total = sum(len(s.files) for s in scanned)
    if not total or not size:
        return [], [], cursor
    start = cursor % total
    count = min(size, total)
    wanted = {(start + i) % total for i in range(count)}
    samples: list[SampleEntry] = []
    unreadable: list[str] = []
    offset = 0
    for item in scanned:
        for index, (base, fsize, rel) in enumerate(item.files):
            if offset + index not in wanted:
                continue
            path = item.path / rel
            try:
                data = path.read_bytes()
            except OSError:
                unreadable.append(str(path))
                continue
            crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            samples.append(
                SampleEntry(
                    item.mailbox,
                    item.folder,
                    base,
                    fsize,
                    hashlib.sha256(data).hexdigest(),
                    hashlib.sha256(crlf).hexdigest(),
                )
            )
        offset += len(item.files)
    return samples, unreadable, (start + count) % total


@dataclass(frozen=True)
class FolderChange:
    mailbox: str
    folder: str
    before: int
    after: int
    digest_changed: bool


def compare(old: Manifest, new: Manifest) -> list[FolderChange]:
    """Folders whose content differs between two manifests (added and removed folders included)."""

    def index(m: Manifest) -> dict[tuple[str, str], FolderEntry]:
        return {(mb.name, f.name): f for mb in m.mailboxes for f in mb.folders}

    a, b = index(old), index(new)
    changes = []
    for key in sorted(a.keys() | b.keys()):
        fa, fb = a.get(key), b.get(key)
        if fa is not None and fb is not None and fa.digest == fb.digest:
            continue
        changes.append(
            FolderChange(
                key[0],
                key[1],
                fa.messages if fa else 0,
                fb.messages if fb else 0,
                True,
            )
        )
    return changes
