"""IMAP flags and keywords from maildir file names and ``dovecot-keywords``. Pure.

A maildir file name ends in ``:2,`` followed by its flags in ASCII order: upper-case letters
are the standard flags, lower-case ``a``-``z`` are keywords numbered 0-25 in ``dovecot-keywords``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from mailvault.mail.maildir import base_name

SYSTEM = {"D": r"\Draft", "F": r"\Flagged", "R": r"\Answered", "S": r"\Seen", "T": r"\Deleted", "P": "$Forwarded"}


def info_letters(filename: str) -> str:
    """The flag letters of a maildir file name.

    >>> info_letters("1700000000.M1P2.host,S=12:2,FSab"), info_letters("1700000000.M1P2.host")
    ('FSab', '')
    """
    _, sep, info = filename.partition(":2,")
    return info if sep else ""


def flags_digest(names: Iterable[str]) -> str:
    """SHA-256 over the sorted (base name, sorted flag letters) of a folder's message files: what the
    folder's flags and keywords are, as the file names carry them (``cur/1.M2,S=9:2,SF``).

    >>> flags_digest(["cur/a:2,SF", "new/b"]) == flags_digest(["cur/b:2,", "cur/a:2,FS"])
    True
    >>> flags_digest(["cur/a:2,SF"]) == flags_digest(["cur/a:2,S"])
    False
    """
    pairs = []
    for rel in names:
        name = rel.rpartition("/")[2]
        pairs.append((base_name(name), "".join(sorted(info_letters(name)))))
    text = "".join(f"{base}\0{letters}\n" for base, letters in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def parse_keywords(text: str) -> dict[str, str]:
    """Letter -> keyword from the lines of ``dovecot-keywords`` (``0 $Label1``).

    >>> parse_keywords("0 $label1\\n1 Projekt-X\\n")
    {'a': '$label1', 'b': 'Projekt-X'}
    """
    found = {}
    for line in text.splitlines():
        number, _, name = line.partition(" ")
        if number.isascii() and number.isdecimal() and 0 <= int(number) < 26 and name:
            found[chr(ord("a") + int(number))] = name.strip()
    return found


def imap_flags(filename: str, keywords: dict[str, str]) -> list[str]:
    """The IMAP flags (system flags, then keywords) a message file carries.

    >>> imap_flags("x:2,RSa", {"a": "$label1"})
    ['\\\\Answered', '\\\\Seen', '$label1']
    """
    letters = info_letters(filename)
    flags = [SYSTEM[c] for c in letters if c in SYSTEM]
    flags += [keywords[c] for c in letters if c.islower() and c in keywords]
    return flags


def restored_folder(stamp: str, display: str, delimiter: str) -> str:
    """Where a restored folder goes in the live mailbox: ``Restored/<snapshot time>/<folder>``.

    >>> restored_folder("2026-11-29 0210", "Archive/2025", ".")
    'Restored.2026-11-29 0210.Archive.2025'
    """
    return delimiter.join(["Restored", stamp, *display.split("/")])
