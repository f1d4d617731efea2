"""Every message's SHA-256, kept from one backup to the next and carried in each snapshot: what the
drill's coverage reads back a share at a time (see mailvault.drill.coverage).

The hash is of the message's CRLF form, the bytes IMAP serves. A message is hashed once, when a
scan first sees its base name in a folder: maildir files never change in place (a flag change
renames the file, its base name stays), so the hash carries forward with the name. Only new mail
is read on a nightly run; the first run reads the whole store once.

In the snapshot the index is one JSON-lines file per folder in the manifest's directory
(``hashes/<name hash>.jsonl``): a folder without new mail keeps an identical file, which restic
stores once, and a nightly run rewrites only the folders that changed. In the state dir it is one
marshal file for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mailvault.mail.helper_pool import Work, helper_argv, spread
from mailvault.mail.manifest_model import dump_json
from mailvault.mail.message_hash import hash_file
from mailvault.mail.reconcile import base

logger = logging.getLogger(__name__)


FORMAT, VERSION = "mailvault-hashes", 1
# Below this many new messages one process hashes them (a nightly run); a helper starts in ~25 ms.
HASH_HELPERS_FROM = 2000
HASH_HELPER = helper_argv("mailvault.mail.hash_helper")
SIDE_DIR = "hashes"
Key = tuple[str, str]  # (mailbox, folder name on disk)
Index = dict[Key, dict[str, str]]  # -> base name -> SHA-256 (hex) of the CRLF form


@dataclass
class Update:
    index: Index
    hashed: int = 0  # files read this run
    unreadable: int = 0  # gone before they could be read (expunged, renamed): hashed when seen again
    changed: set[Key] = field(default_factory=set)  # folders whose entries differ from the last run's


def update(
    previous: Index, folders: Iterable[tuple[str, str, str, Collection[str]]], *, unchanged: Collection[Key] = ()
) -> Update:
    """The index for ``folders`` (mailbox, folder, path, message files relative to it), carrying
    forward the hashes ``previous`` knows and hashing the rest. A folder in ``unchanged`` (the scan
    reused its listing: nothing was added, renamed or removed since) whose entries in ``previous``
    are as many as its files keeps them as they are, without a look at each name: on a nightly run
    that is nearly every folder.

    >>> prev = {("a", "INBOX"): {"1.M1.h": "d1"}}
    >>> update(prev, [("a", "INBOX", "/m", ["cur/1.M1.h:2,S"])], unchanged={("a", "INBOX")}).index
    {('a', 'INBOX'): {'1.M1.h': 'd1'}}
    """
    index: Index = {}
    jobs: list[tuple[Key, str, str]] = []
    changed: set[Key] = set()
    for mailbox, folder, path, rels in folders:
        known = previous.get((mailbox, folder), {})
        if (mailbox, folder) in unchanged and (mailbox, folder) in previous and len(known) == len(rels):
            index[(mailbox, folder)] = known
            continue
        entries: dict[str, str] = {}
        for rel in rels:
            b = base(rel)
            digest = known.get(b)
            if digest is None:
                jobs.append(((mailbox, folder), b, os.path.join(path, rel)))
            else:
                entries[b] = digest
        index[(mailbox, folder)] = entries
        if len(entries) != len(known) or (mailbox, folder) not in previous:
            changed.add((mailbox, folder))
    out = Update(index, changed=changed | (set(previous) - set(index)))
    digests = hash_many([path for _key, _b, path in jobs])
    for (key, b, _path), digest in zip(jobs, digests, strict=True):
        if digest is None:
            out.unreadable += 1
            continue
        index[key][b] = digest
        out.hashed += 1
        out.changed.add(key)
    return out


def hash_many(
    paths: Sequence[str], *, processes: int | None = None, helpers_from: int = HASH_HELPERS_FROM
) -> list[str | None]:
    """Each file's hash, in order; a first backup's many files over helper processes, one per CPU
    (threads fight over the GIL: measured 4.4x slower at 50,000)."""
    work: Work[str, str | None] = Work(
        here=hash_file,
        argv=HASH_HELPER,
        encode=os.fsencode,
        decode=lambda row: row if isinstance(row, str) else None,
        log=logger,
        what="message hashing helper",
        fallback="hashing its share here",
    )
    return spread(work, paths, processes=processes, helpers_from=helpers_from)


def side_name(key: Key) -> str:
    """A folder's file name in the snapshot: mailbox and folder names may hold anything, a file name may not.

    >>> side_name(("alice@example.org", "INBOX"))
    'dc318db8eeaa5601.jsonl'
    """
    return hashlib.sha256("\0".join(key).encode("utf-8", "surrogateescape")).hexdigest()[:16] + ".jsonl"


def write_side_files(directory: Path, update: Update) -> int:
    """Write the files of the folders that changed (or lack one) into ``directory``, one per folder so
    that a folder without new mail keeps an identical file; remove those of folders that are gone;
    return how many were written."""
    directory.mkdir(mode=0o700, exist_ok=True)
    wanted = {side_name(key): key for key in update.index}
    for stale in directory.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    written = 0
    for name, key in wanted.items():
        path = directory / name
        if key in update.changed or not path.exists():
            _write(path, _side_text(key, update.index[key]))
            written += 1
    return written


def _side_text(key: Key, entries: dict[str, str]) -> str:
    head = dump_json({"format": FORMAT, "version": VERSION, "mailbox": key[0], "folder": key[1]})
    return "\n".join([head, *(f'[{_quoted(b)}, "{d}"]' for b, d in sorted(entries.items()))]) + "\n"


def _quoted(text: str) -> str:
    """A JSON string: as it is when nothing in it needs escaping (every usual maildir name), else dumped.

    >>> _quoted("1700.M1.host,S=5"), _quoted('a"b')
    ('"1700.M1.host,S=5"', '"a\\\\"b"')
    """
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return dump_json(text)


def _write(path: Path, text: str) -> None:
    """Through a temp file and a rename; no fsync: the next backup writes it again if it is lost."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_side_files(directory: Path) -> Index:
    """The index a snapshot carries (restored into ``directory``); empty when it has none (a snapshot
    made before mailvault kept one). A file of another format is left out."""
    index: Index = {}
    if not directory.is_dir():
        return index
    for path in sorted(directory.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        try:
            head = json.loads(lines[0]) if lines else {}
            if head.get("format") != FORMAT or int(head.get("version", 0)) > VERSION:
                continue
            index[(str(head["mailbox"]), str(head["folder"]))] = dict(json.loads(line) for line in lines[1:])
        except (ValueError, KeyError, TypeError):
            continue
    return index


def load(path: Path) -> Index:
    """The index the last run saved at ``path``; empty when there is none or it cannot be read."""
    try:
        fmt, index = marshal.loads(path.read_bytes())
        return index if fmt == VERSION and isinstance(index, dict) else {}
    except (OSError, ValueError, EOFError, TypeError):
        return {}


def blob(index: Index) -> bytes:
    return marshal.dumps((VERSION, index))
