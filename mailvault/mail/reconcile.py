"""The manifest of record: what a snapshot really holds, reconciled with the scan made before it. Pure.

A live store changes while restic reads it. Three listings of each folder meet here, keyed by the
message file's path relative to the folder (``cur/<name>``):

- *before*: the scan's, taken just before restic started;
- *saved*: what restic reported saving (``restic backup -vv``), the snapshot's own contents;
- *after*: the folder listed again once restic is done (only for folders where the first two differ).

A message's identity is its base name (before ``:2,``), so a flag change is a rename. Every
difference between *before* and *saved* is one of: arrived during the run, re-flagged (or moved
from ``new/`` to ``cur/``), expunged during the run (gone from disk now), or missed by the walk
(on disk before and after, absent from the snapshot: restic read ``cur/`` before the message moved
there and ``new/`` after it left). Only the last is a loss; the backup catches it up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from mailvault.mail.maildir_flags import flags_digest
from mailvault.mail.manifest import ScannedFolder, folder_digest
from mailvault.mail.manifest_model import Churn, FolderEntry, Manifest

# rel path -> size, None when not known from this listing
Names = Mapping[str, int | None]
# rel path -> (size, mtime) of a folder listed after restic; size NOT_A_MESSAGE for what is not a
# regular file (restic saves a symlink in cur/ too; the scan and the drill's lint skip it)
Stats = Mapping[str, tuple[int, float]]
NOT_A_MESSAGE = -1
_SIZE = re.compile(r",S=(\d+)")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class Reconciled:
    entries: dict[tuple[str, str], FolderEntry] = field(default_factory=dict)  # only the folders that differ
    churn: Churn = field(default_factory=Churn)
    missed: list[str] = field(default_factory=list)  # absolute paths of the missed files, as they are now
    held: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # base names saved, differing folders


def base(rel: str) -> str:
    """
    >>> base("cur/1700.M1.host,S=12:2,FS")
    '1700.M1.host,S=12'
    """
    return rel.rpartition("/")[2].partition(":")[0]


def saved_in(by_dir: Mapping[str, list[str]], folder: str) -> list[str]:
    """The rel paths restic saved under ``folder``'s ``cur/`` and ``new/``, from ``SavedFiles.by_dir``."""
    return [f"{sub}/{name}" for sub in ("cur", "new") for name in by_dir.get(f"{folder}/{sub}", ()) if name[:1] != "."]


def as_printed(rel: str) -> str:
    r"""A file name as restic's JSON prints it: each byte that is not UTF-8 (a surrogate escape in
    the names Python lists) becomes U+FFFD.

    >>> as_printed("cur/caf\udce9\udca0") == "cur/caf\ufffd\ufffd"
    True
    """
    return _UNDECODABLE.sub("\ufffd", rel)


def reconcile(
    manifest: Manifest,
    folders: list[ScannedFolder],
    saved: Callable[[str], list[str]],
    relist: Callable[[list[str]], dict[str, Stats]],
    *,
    lossy: bool = False,
    still: Callable[[ScannedFolder], bool] = lambda _: False,
) -> Reconciled:
    """Compare every folder's scan with what restic saved; list again (``relist``) the folders where
    they differ, classify each difference and build their entries of record. ``lossy``: restic
    printed names that are not UTF-8 (as U+FFFD), so names are compared the way it printed them.
    ``still``: whether a folder's directories provably did not change from the scan to now; then
    only its count is compared (a name-by-name comparison of 200,000 messages takes 0.5 s)."""
    if lossy:
        folders = [replace(f, before={as_printed(k): v for k, v in f.before.items()}) for f in folders]
        plain = relist

        def relist(paths: list[str]) -> dict[str, Stats]:
            return {p: {as_printed(k): v for k, v in stats.items()} for p, stats in plain(paths).items()}

    out = Reconciled()
    old = {(m.name, f.name): f for m in manifest.mailboxes for f in m.folders}
    differing: list[tuple[ScannedFolder, list[str]]] = []
    for folder in folders:
        got = saved(folder.path)
        entry = old.get((folder.mailbox, folder.name))
        counted = entry.messages if entry else 0  # (the entry and the names were taken apart: check both)
        counts_differ = len(got) != len(folder.before) or len(got) != counted
        if counts_differ or (not still(folder) and any(rel not in folder.before for rel in got)):
            differing.append((folder, got))
    if not differing:
        return out
    after = relist([folder.path for folder, _ in differing])
    for folder, saved_here in differing:
        listed = after.get(folder.path, {})
        # What is not a message file now (a symlink restic saved as one) is not one in the record either.
        got = [rel for rel in saved_here if listed.get(rel, (0, 0.0))[0] != NOT_A_MESSAGE]
        now = {rel: stat for rel, stat in listed.items() if stat[0] != NOT_A_MESSAGE}
        entry = old.get((folder.mailbox, folder.name))
        if (
            entry is not None
            and len(got) == len(folder.before) == entry.messages
            and all(r in folder.before for r in got)
        ):
            continue
        out.entries[(folder.mailbox, folder.name)] = _entry(folder, got, now, entry, out)
        out.held[(folder.mailbox, folder.name)] = {base(rel) for rel in got}
    return out


def _entry(folder: ScannedFolder, got: list[str], now: Stats, old: FolderEntry | None, out: Reconciled) -> FolderEntry:
    before_by_base = {base(rel): rel for rel in folder.before}
    now_by_base = {base(rel): rel for rel in now}
    got_bases = {base(rel) for rel in got}
    for rel in got:
        b = base(rel)
        if b not in before_by_base:
            out.churn.arrived += 1
        elif before_by_base[b] != rel:
            out.churn.reflagged += 1
    for b in before_by_base:
        if b in got_bases:
            continue
        if b in now_by_base:
            out.churn.missed += 1
            out.missed.append(f"{folder.path}/{now_by_base[b]}")
        else:
            out.churn.expunged += 1
    pairs: list[tuple[str, int]] = []
    exact = True
    newest: tuple[float, str] | None = None
    for rel in got:
        b = base(rel)
        size = _size(rel, b, folder.before, before_by_base, now, now_by_base)
        if size is None:
            exact = False
            size = 0
        pairs.append((b, size))
        stat = now.get(rel) or now.get(now_by_base.get(b, ""))
        if stat is not None and (newest is None or stat[1] > newest[0]):
            newest = (stat[1], rel)
    return FolderEntry(
        name=folder.name,
        display=old.display if old else folder.name,
        messages=len(got),
        bytes=sum(size for _, size in pairs) if exact else -1,
        newest=datetime.fromtimestamp(newest[0], UTC).isoformat(timespec="seconds") if newest else None,
        uidvalidity=old.uidvalidity if old else None,
        digest=folder_digest(pairs) if exact else "",
        newest_file=newest[1] if newest else None,
        flags=flags_digest(got),
    )


def _size(
    rel: str, b: str, before: Names, before_by_base: dict[str, str], now: Stats, now_by_base: dict[str, str]
) -> int | None:
    """A message's size: maildir files never change, so any listing that has its base name knows it."""
    known = before.get(rel)
    if known is None and b in before_by_base:
        known = before.get(before_by_base[b])
    if known is None:
        stat = now.get(rel) or now.get(now_by_base.get(b, ""))
        known = stat[0] if stat else None
    if known is None:
        match = _SIZE.search(b)
        known = int(match.group(1)) if match else None
    return known


def apply(manifest: Manifest, found: Reconciled, *, snapshot: str, state: str, caught: int = 0) -> Manifest:
    """The manifest of record: the scan with the differing folders' entries replaced, the samples of
    messages the snapshot lacks dropped, and the churn."""
    mailboxes = [
        replace(m, folders=[found.entries.get((m.name, f.name), f) for f in m.folders]) for m in manifest.mailboxes
    ]
    samples = [
        s
        for s in manifest.samples
        if (s.mailbox, s.folder) not in found.held or s.base in found.held[(s.mailbox, s.folder)]
    ]
    return replace(
        manifest,
        mailboxes=mailboxes,
        samples=samples,
        state=state,
        snapshot=snapshot,
        churn=replace(found.churn, caught=caught),
        missed=list(found.missed),
    )
