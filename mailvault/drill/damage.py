"""The drill's negative controls, part one: a cheap scratch copy of one restored folder, and the seven
ways real damage looks, done to that copy.

The copy hard-links the message files (maildir files are never changed in place, and every damage
here replaces a file rather than writing into it), and copies the small ``dovecot-uidlist`` and
``dovecot-keywords``, which Dovecot may append to. The restored tree itself is never touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailvault.mail.maildir_flags import info_letters

COPIED = ("dovecot-uidlist", "dovecot-keywords")  # small and appendable: copied, never linked
SUBDIRS = ("cur", "new", "tmp")


@dataclass(frozen=True)
class DamageTarget:
    """The folder the controls damage (copies of it): where it is and which of its messages to use."""

    folder: Path  # the restored folder's directory (INBOX: the mailbox root)
    inbox: bool
    sampled: str  # file (``cur/…``) of a message whose hash the manifest holds
    other: str  # file of another message (removed, truncated)
    flagged: str | None  # file of a message that has a flag (None: no message has one)


def scratch_copy(source: Path, scratch: Path) -> None:
    """A copy of folder ``source`` at ``scratch``: message files hard-linked, the uidlist copied."""
    for sub in SUBDIRS:
        (scratch / sub).mkdir(parents=True, exist_ok=True)
        if (source / sub).is_dir():
            for entry in os.scandir(source / sub):
                if entry.is_file(follow_symlinks=False):
                    os.link(entry.path, scratch / sub / entry.name)
    for name in COPIED:
        if (source / name).is_file():
            shutil.copy2(source / name, scratch / name)


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` as a new file in ``path``'s place (a hard link's other name keeps the old bytes)."""
    stat = path.stat()
    fresh = path.with_name(path.name + ".mailvault-new")
    fresh.write_bytes(data)
    os.chown(fresh, stat.st_uid, stat.st_gid)
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # only the bytes differ
    os.replace(fresh, path)


def remove_message(folder: Path, target: DamageTarget) -> str:
    (folder / target.other).unlink()
    return f"removed {target.other.rpartition('/')[2]}"


def flip_byte(folder: Path, target: DamageTarget) -> str:
    """One byte of the sampled message's body changed to another letter: same size, same name."""
    path = folder / target.sampled
    data = bytearray(path.read_bytes())
    body = data.find(b"\n\n") + 2 if b"\n\n" in data else len(data) // 2
    at = next((i for i in range(body, len(data)) if chr(data[i]).isalpha()), len(data) - 1)
    data[at] = ord("x") if data[at] != ord("x") else ord("y")
    _replace(path, bytes(data))
    return f"changed byte {at} of {target.sampled.rpartition('/')[2]}"


def truncate(folder: Path, target: DamageTarget) -> str:
    path = folder / target.other
    data = path.read_bytes()
    _replace(path, data[: len(data) // 2])
    return f"cut {target.other.rpartition('/')[2]} to {len(data) // 2} of {len(data)} bytes"


def rename_folder(folder: Path, target: DamageTarget) -> str:
    """The folder under another name (INBOX, which is the mailbox root, has its messages moved aside)."""
    if not target.inbox:
        folder.rename(folder.with_name(folder.name + "-renamed"))
        return f"renamed {folder.name} to {folder.name}-renamed"
    aside = folder / ".mailvault-renamed"
    aside.mkdir()
    for name in (*SUBDIRS, *COPIED):
        if (folder / name).exists():
            os.rename(folder / name, aside / name)
    return "moved INBOX's messages to a folder of another name"


def lose_flag(folder: Path, target: DamageTarget) -> str:
    if target.flagged is None:
        raise LookupError("no message of the folder has a flag")
    name = target.flagged
    letters = info_letters(name.rpartition("/")[2])
    kept = name[: len(name) - len(letters)] + letters[1:]
    os.rename(folder / name, folder / kept)
    return f"dropped flag {letters[0]} of {name.rpartition('/')[2]}"


def change_uidvalidity(folder: Path, target: DamageTarget) -> str:
    path = folder / "dovecot-uidlist"
    lines = path.read_bytes().split(b"\n")
    fields = lines[0].split(b" ")
    for i, field in enumerate(fields):
        if field.startswith(b"V") and field[1:].isdigit():
            fields[i] = b"V%d" % (int(field[1:]) + 1)
            lines[0] = b" ".join(fields)
            _replace(path, b"\n".join(lines))
            return f"UIDVALIDITY {int(field[1:])} -> {int(field[1:]) + 1}"
    raise LookupError("the dovecot-uidlist has no UIDVALIDITY")


def drop_uidlist(folder: Path, target: DamageTarget) -> str:
    (folder / "dovecot-uidlist").unlink()
    return "deleted dovecot-uidlist"


Damage = Callable[[Path, DamageTarget], str]
DAMAGES: dict[str, Damage] = {
    "a message removed": remove_message,
    "a byte flipped in a sampled message": flip_byte,
    "a message truncated": truncate,
    "a folder renamed": rename_folder,
    "a flag lost": lose_flag,
    "UIDVALIDITY changed": change_uidvalidity,
    "dovecot-uidlist dropped": drop_uidlist,
}
