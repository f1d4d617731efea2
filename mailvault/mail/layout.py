"""Finding every mailbox below a maildir root from a Dovecot-style layout such as ``%d/%n/Maildir``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailvault.errors import unreadable_source


@dataclass(frozen=True)
class Mailbox:
    """One user's maildir: ``Mailbox("alice@example.com", Path("/var/vmail/example.com/alice/Maildir"))``."""

    name: str
    path: Path


_NOT_A_NAME = {"%d": (".", "_"), "%n": (".",)}


def find_mailboxes(root: Path, layout: str) -> list[Mailbox]:
    """Every maildir under ``root`` matching ``layout``, sorted by name.

    ``%d`` and ``%n`` each match one directory level; other components are literal.
    A mailbox is named ``user@domain`` when the layout has ``%d``, else ``user``. A ``%d`` level
    skips names no mail domain has (``_garbage``: mailcow keeps deleted mailboxes there). They are
    still backed up with the root; they are not claimed as mailboxes.
    """
    parts = [p for p in layout.split("/") if p]
    found: list[Mailbox] = []
    _walk(root, parts, {}, found)
    return sorted(found, key=lambda m: m.name)


def _walk(base: Path, parts: list[str], bound: dict[str, str], found: list[Mailbox]) -> None:
    if not parts:
        if (base / "cur").is_dir() or (base / "new").is_dir():
            user = bound.get("%n", "")
            name = f"{user}@{bound['%d']}" if "%d" in bound else user
            found.append(Mailbox(name=name, path=base))
        return
    head, rest = parts[0], parts[1:]
    if head in ("%d", "%n"):
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except PermissionError:
            raise unreadable_source(base) from None
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(_NOT_A_NAME[head]):
                _walk(Path(entry.path), rest, {**bound, head: entry.name}, found)
    else:
        _walk(base / head, rest, bound, found)
