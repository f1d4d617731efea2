"""Reusing last run's per-folder manifest entries for folders whose ``cur/`` and ``new/`` did not change.

Maildir files are never modified in place: delivery, flag changes (renames), moves and
expunges all change the mtime of ``cur/`` or ``new/``. A folder whose two directory
mtimes are unchanged, and were not touched within :data:`RACY_SECONDS` of the last scan
(the "racy timestamp" guard), has the same entry as last time. A full rescan runs every
``full_every`` runs regardless.
"""

from __future__ import annotations

import json
import marshal
import os
from dataclasses import dataclass, field
from pathlib import Path

from mailvault.mail.manifest_model import FolderEntry

RACY_SECONDS = 2.0
FORMAT = 2  # 2: entries carry the flags digest


@dataclass(frozen=True)
class Stamp:
    cur_ns: int
    new_ns: int


def stamp(folder: Path) -> Stamp:
    """The mtimes (ns) of ``folder``'s ``cur/`` and ``new/``; -1 for a missing one."""

    def mtime(sub: str) -> int:
        try:
            return os.stat(os.path.join(folder, sub)).st_mtime_ns
        except OSError:
            return -1

    return Stamp(mtime("cur"), mtime("new"))


@dataclass
class ScanCache:
    taken_at: float = 0.0
    runs_since_full: int = 0
    folders: dict[str, tuple[Stamp, FolderEntry]] = field(default_factory=dict)
    # each folder's message files (``cur/<name>``) when its entry was made: what the reconciliation
    # compares with restic's listing, carried forward with the entry (marshal: 30 ms for 200,000)
    names: dict[str, list[str]] = field(default_factory=dict)

    def lookup(self, path: Path, current: Stamp) -> FolderEntry | None:
        """The cached entry for ``path`` when its stamp is unchanged and safely older than the last scan."""
        hit = self.folders.get(str(path))
        if hit is None or hit[0] != current:
            return None
        if max(current.cur_ns, current.new_ns) / 1e9 >= self.taken_at - RACY_SECONDS:
            return None
        return hit[1]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "taken_at": self.taken_at,
                "runs_since_full": self.runs_since_full,
                "folders": {k: [s.__dict__, e.__dict__] for k, (s, e) in self.folders.items()},
            }
        )

    def names_blob(self) -> bytes:
        return marshal.dumps((FORMAT, self.taken_at, self.names))


def load(path: Path, names_path: Path | None = None) -> ScanCache:
    """The cache saved at ``path`` (and its names at ``names_path``); an empty one when it is missing,
    unreadable or of another format. Names that do not belong to this cache are left out."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return ScanCache()
        cache = ScanCache(
            taken_at=float(data["taken_at"]),
            runs_since_full=int(data["runs_since_full"]),
            folders={k: (Stamp(**s), FolderEntry(**e)) for k, (s, e) in data["folders"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ScanCache()
    try:
        fmt, taken_at, names = marshal.loads(names_path.read_bytes()) if names_path else (None, None, {})
        if fmt == FORMAT and taken_at == cache.taken_at and isinstance(names, dict):
            cache.names = names
    except (OSError, ValueError, EOFError, TypeError):
        pass
    return cache
