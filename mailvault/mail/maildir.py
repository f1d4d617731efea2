"""Reading one maildir: its folders, message files and Dovecot's uidlist. Filesystem edge, read-only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mailvault.mail import message_files, utf7

FolderLayout = Literal["maildir++", "fs"]
_MAILDIR_SUBDIRS = ("cur", "new", "tmp")


@dataclass(frozen=True)
class Folder:
    """A folder as stored: ``name`` is the IMAP name on disk (modified UTF-7), ``display`` is readable."""

    name: str  # "INBOX", "Archive.2025", "Entw&APw-rfe"
    display: str  # "INBOX", "Archive/2025", "Entwürfe"
    path: Path


def base_name(filename: str) -> str:
    """A message's identity: the file name before the ``:2,`` info, which survives flag renames.

    >>> base_name("1700000000.M1P2.host,S=1234,W=1260:2,RS")
    '1700000000.M1P2.host,S=1234,W=1260'
    """
    return filename.split(":", 1)[0]


def list_folders(maildir: Path, layout: FolderLayout) -> list[Folder]:
    """Every folder of ``maildir``, INBOX first, then by name."""
    folders = [Folder("INBOX", "INBOX", maildir)]
    if layout == "maildir++":
        for entry in _subdirs(maildir):
            if entry.name.startswith(".") and entry.name not in (".", "..") and _is_maildir(Path(entry.path)):
                name = entry.name[1:]
                folders.append(Folder(name, utf7.decode(name).replace(".", "/"), Path(entry.path)))
    else:
        for rel, path in _fs_folders(maildir, ""):
            folders.append(Folder(rel, utf7.decode(rel), path))
    return [folders[0], *sorted(folders[1:], key=lambda f: f.name)]


def _fs_folders(base: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for entry in _subdirs(base):
        if entry.name in _MAILDIR_SUBDIRS or entry.name.startswith("."):
            continue
        rel = f"{prefix}{entry.name}"
        path = Path(entry.path)
        if _is_maildir(path):
            yield rel, path
        yield from _fs_folders(path, rel + "/")


def _subdirs(path: Path) -> list[os.DirEntry[str]]:
    try:
        return [e for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()


@dataclass(frozen=True)
class FolderFiles:
    """The message files of one folder: ``(base name, size, path relative to the folder)``, sorted by base name."""

    files: list[tuple[str, int, str]]
    bytes: int
    newest: float | None
    unreadable: list[str]


def folder_files(folder: Path) -> FolderFiles:
    """Every message file in ``folder``'s ``cur/`` and ``new/`` (``tmp/`` holds deliveries in progress).

    The hot loop lives in :mod:`mailvault.mail.message_files`, which the listing helpers import alone.
    """
    files, size, newest, unreadable = message_files.listing(os.fspath(folder))
    return FolderFiles(files, size, newest, unreadable)


def read_uidvalidity(folder: Path) -> int | None:
    """UIDVALIDITY from the first line of ``dovecot-uidlist`` (``3 V1700000000 N42 G...``), if present."""
    try:
        with (folder / "dovecot-uidlist").open("r", encoding="ascii", errors="replace") as fh:
            header = fh.readline().split()
    except (FileNotFoundError, NotADirectoryError):
        return None
    for field in header[1:]:
        if field.startswith("V") and field[1:].isdecimal():
            return int(field[1:])
    return None


def read_uidlist(folder: Path) -> dict[str, int]:
    """Base name -> UID from ``dovecot-uidlist`` (lines such as ``12 W2044 :1700000000.M1P2.host,S=1999``).

    Empty when the folder has no uidlist.
    """
    try:
        lines = (folder / "dovecot-uidlist").read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found: dict[str, int] = {}
    for line in lines[1:]:
        uid, _, rest = line.partition(" ")
        if not uid.isdecimal() or not rest:
            continue
        name = rest[rest.index(":") + 1 :] if ":" in rest else rest.split()[-1]
        found[name] = int(uid)
    return found
