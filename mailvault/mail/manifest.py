"""The mail manifest: what a snapshot must contain, per mailbox and folder.

Versioned JSON that travels inside every snapshot. Per folder: message count,
bytes, newest message time (file mtime, Dovecot's INTERNALDATE), UIDVALIDITY
and a digest over the sorted (base name, size) pairs; plus SHA-256 hashes of a
rotating sample of messages, both of the file and of its CRLF form (what IMAP serves).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from mailvault import netprobe
from mailvault.errors import SourceError
from mailvault.mail.layout import Mailbox, find_mailboxes
from mailvault.mail.listing import HELPERS_FROM, list_many, prestart
from mailvault.mail.maildir import Folder, FolderFiles, FolderLayout, folder_files, list_folders, read_uidvalidity
from mailvault.mail.maildir_flags import flags_digest
from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest, SampleEntry
from mailvault.mail.message_files import names as message_names
from mailvault.mail.message_hash import crlf_sha256
from mailvault.mail.scan_cache import ScanCache, Stamp, stamp


def folder_digest(pairs: list[tuple[str, int]] | list[tuple[str, int, str]]) -> str:
    """SHA-256 over sorted (base name, size) pairs: the folder's identity, blind to flag renames.

    >>> folder_digest([("b", 2), ("a", 1)]) == folder_digest([("a", 1), ("b", 2)])
    True
    """
    text = "".join(f"{p[0]}\0{p[1]}\n" for p in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts is not None else None


@dataclass
class _Scanned:
    mailbox: str
    folder: str
    path: Path
    count: int
    files: list[tuple[str, int, str]] | None  # None when the entry came from the cache


@dataclass
class ScanResult:
    manifest: Manifest
    next_cursor: int
    cache: ScanCache
    folders_reused: int
    # every folder with the files the scan saw in it (rel path -> size, None where the folder came
    # from the cache): what the reconciliation compares with what restic saved
    folders: list[ScannedFolder]
    pending: _Pending | None = None  # what a deferred scan has yet to work out (see complete())


@dataclass
class _Pending:
    """What a deferred scan has yet to work out: each listed folder's digests and UIDVALIDITY (its
    entry so far has only the counts), and the sample of hashed messages."""

    listed: list[tuple[MailboxEntry, int, str, Folder, FolderFiles]]  # its entry is mailbox.folders[i]
    scanned: list[_Scanned]
    sample_size: int
    sample_cursor: int


@dataclass(frozen=True)
class ScannedFolder:
    mailbox: str
    name: str
    path: str
    before: dict[str, int | None]
    stamp: Stamp | None = None  # cur/ and new/ mtimes before the listing: unchanged after restic, and
    # older than the racy window, the folder's listing cannot have changed meanwhile
    reused: bool = False  # its entry and names came from the scan cache: unchanged since the last scan


def _folders(
    roots: list[Path], layout: str, folder_layout: FolderLayout, cache: ScanCache | None,
    known: list[Mailbox] | None = None,
) -> list[tuple[Mailbox, Folder, Stamp, FolderEntry | None, list[str]]]:  # fmt: skip
    """Every folder of every mailbox under ``roots``, with its stamp now, and its cached entry and
    message names when it is unchanged since the cache was taken."""
    found: list[tuple[Mailbox, Folder, Stamp, FolderEntry | None, list[str]]] = []
    for root in roots:
        for mbox in _mailboxes(root, layout, known):
            for folder in list_folders(mbox.path, folder_layout):
                current = stamp(folder.path)
                cached = cache.lookup(folder.path, current) if cache is not None else None
                names: list[str] = []
                if cached is not None:
                    # The names the reconciliation compares with restic's listing: carried with the
                    # entry. (A cache from before names were kept: listed now, between two stamps,
                    # so that they agree with the cached entry, or the folder is listed afresh.)
                    kept = cache.names.get(str(folder.path)) if cache is not None else None
                    names = kept if kept is not None else message_names(str(folder.path))
                    if kept is None and stamp(folder.path) != current:
                        cached = None
                found.append((mbox, folder, current, cached, names))
    return found


def _listed(
    roots: list[Path], layout: str, folder_layout: FolderLayout, cache: ScanCache | None, known: list[Mailbox] | None
) -> tuple[list[tuple[Mailbox, Folder, Stamp, FolderEntry | None, list[str]]], list[FolderFiles]]:
    """Every folder (see :func:`_folders`), and the listing of each one not reused from ``cache``, in order.
    A nightly scan of a big store lists its changed folders over helpers, started while it stats every
    folder to find them (started for nothing on a quiet night: ~30 ms of another CPU)."""
    warm = prestart() if cache is not None and len(cache.folders) >= HELPERS_FROM else None
    try:
        found_folders = _folders(roots, layout, folder_layout, cache, known)
        # The stat per message: only for folders that changed, spread over processes when they are many.
        to_list = [folder.path for _, folder, _, cached, _ in found_folders if cached is None]
        return found_folders, list_many(to_list, warm=warm)
    finally:
        if warm is not None:
            warm.close()


def scan(
    roots: list[Path],
    *,
    layout: str,
    folder_layout: FolderLayout,
    sample_size: int = 0,
    sample_cursor: int = 0,
    cache: ScanCache | None = None,
    known: list[Mailbox] | None = None,
    defer: bool = False,
) -> ScanResult:
    """Scan every mailbox under ``roots`` into a manifest.

    With ``cache`` (last run's), folders whose ``cur/`` and ``new/`` are unchanged reuse
    their entry instead of a stat per message. Returns the manifest, the next sample
    cursor and the cache for the next run. Raise SourceError when a root does not exist
    or holds no mailbox for ``layout``: an empty backup must never pass for a successful one.
    With ``defer``, the result has its totals and listings, and :func:`complete` works out the
    rest (digests, UIDVALIDITY, the sample): the backup does that while restic opens the repository.
    """
    taken_at = time.time()
    fresh = ScanCache(taken_at=taken_at)
    found_folders, listings = _listed(roots, layout, folder_layout, cache, known)
    listed = iter(listings)
    mailboxes: dict[Mailbox, MailboxEntry] = {}
    scanned: list[_Scanned] = []
    unreadable_dirs: list[str] = []
    seen: list[ScannedFolder] = []
    pending = _Pending([], scanned, sample_size, sample_cursor)
    for mbox, folder, current, cached, names in found_folders:
        entry, files = cached, None
        box = mailboxes.setdefault(mbox, MailboxEntry(mbox.name, str(mbox.path), []))
        if entry is None:
            found = next(listed)
            files = found.files
            unreadable_dirs += found.unreadable
            entry = _counted(folder, found)
            pending.listed.append((box, len(box.folders), str(folder.path), folder, found))
        box.folders.append(entry)
        fresh.folders[str(folder.path)] = (current, entry)
        fresh.names[str(folder.path)] = names if files is None else [rel for _, _, rel in files]
        scanned.append(_Scanned(mbox.name, folder.name, folder.path, entry.messages, files))
        before: dict[str, int | None] = dict.fromkeys(names) if files is None else {r: n for _, n, r in files}
        seen.append(ScannedFolder(mbox.name, folder.name, str(folder.path), before, current, reused=files is None))
    reused = len(found_folders) - len(listings)
    manifest = Manifest(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        hostname=netprobe.hostname(),
        roots=[str(r) for r in roots],
        mailboxes=list(mailboxes.values()),
        samples=[],
        unreadable=unreadable_dirs,
        folder_layout=folder_layout,
    )
    result = ScanResult(manifest, sample_cursor, fresh, reused, seen, pending)
    return result if defer else complete(result)


def complete(result: ScanResult) -> ScanResult:
    """Work out what a deferred scan left (see :func:`scan`), in place; return ``result``."""
    pending, result.pending = result.pending, None
    if pending is None:
        return result
    for box, index, key, folder, found in pending.listed:
        flags = flags_digest(rel for _, _, rel in found.files)
        uidvalidity = read_uidvalidity(folder.path)
        entry = replace(box.folders[index], uidvalidity=uidvalidity, digest=folder_digest(found.files), flags=flags)
        box.folders[index] = entry
        result.cache.folders[key] = (result.cache.folders[key][0], entry)
    samples, unreadable, cursor = _sample(pending.scanned, pending.sample_size, pending.sample_cursor)
    result.manifest.samples = samples
    result.manifest.unreadable += unreadable
    result.next_cursor = cursor
    return result


def _counted(folder: Folder, found: FolderFiles) -> FolderEntry:
    """A folder's manifest entry from its listing, with the counts only (complete() adds the rest)."""
    return FolderEntry(
        name=folder.name,
        display=folder.display,
        messages=len(found.files),
        bytes=found.bytes,
        newest=_iso(found.newest),
        uidvalidity=None,
        digest="",
    )


def _mailboxes(root: Path, layout: str, known: list[Mailbox] | None) -> list[Mailbox]:
    """The mailboxes under ``root``: found by the pattern ``layout``, or among ``known`` (as Dovecot
    listed them, layout = dovecot)."""
    if not root.is_dir():
        raise SourceError(
            f"maildir root {root} does not exist",
            hint="fix sources.maildirs in the config, or mount the mail store",
        )
    if known is not None:
        found = sorted((m for m in known if m.path.is_relative_to(root)), key=lambda m: m.name)
        if not found:
            raise SourceError(
                f"Dovecot lists no mailbox under maildir root {root}",
                hint="fix sources.maildirs: it should hold the maildirs `doveadm mailbox path -A INBOX` prints",
            )
        return found
    found = find_mailboxes(root, layout)
    if not found:
        raise SourceError(
            f"maildir root {root} holds no mailbox matching layout {layout!r}",
            hint="fix sources.layout (e.g. %d/%n/Maildir or %n/Maildir)",
        )
    return found


def _sample(scanned: list[_Scanned], size: int, cursor: int) -> tuple[list[SampleEntry], list[str], int]:
    """Hash ``size`` messages starting at position ``cursor`` of the whole store (wrapping around)."""
    total = sum(item.count for item in scanned)
    if not total or not size:
        return [], [], cursor
    start = cursor % total
    count = min(size, total)

    def wanted(position: int) -> bool:  # the window [start, start + count) wraps around the store
        return (position - start) % total < count

    samples: list[SampleEntry] = []
    unreadable: list[str] = []
    offset = 0
    for item in scanned:
        # two ranges on a circle overlap when one starts inside the other
        if item.count and (wanted(offset) or (start - offset) % total < item.count):
            files = item.files if item.files is not None else folder_files(item.path).files
            for index, (base, fsize, rel) in enumerate(files):
                if wanted(offset + index):
                    _hash_one(item, base, fsize, item.path / rel, samples, unreadable)
        offset += item.count
    return samples, unreadable, (start + count) % total


def _hash_one(
    item: _Scanned, base: str, size: int, path: Path, samples: list[SampleEntry], unreadable: list[str]
) -> None:
    try:
        data = path.read_bytes()
    except OSError:
        unreadable.append(str(path))
        return
    digest, digest_crlf = hashlib.sha256(data).hexdigest(), crlf_sha256(data)
    samples.append(SampleEntry(item.mailbox, item.folder, base, size, digest, digest_crlf))


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
