"""What Dovecot's ``mail_location`` says about the store, and what mailvault makes of it. Pure.

Dovecot 2.3 writes a location as ``FORMAT:PATH[:KEY=VALUE]...``, e.g. ``maildir:~/Maildir``,
``maildir:/var/vmail/%d/%n/Maildir:LAYOUT=fs`` or Debian's default ``mbox:~/mail:INBOX=/var/mail/%u``.
mailvault backs up Maildir stores. A path whose directories below a fixed root are ``%d`` and ``%n``
becomes a root and a pattern layout (``/var/vmail`` and ``%d/%n/Maildir``); anything else that is
Maildir (a home-relative path, ``%u`` as one directory, hashed homes) needs the mailboxes from
Dovecot itself (``layout = "dovecot"``). mbox, sdbox and mdbox are named and refused, with the way
to convert: never a config that would back up an mbox file as if it were maildirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONVERT = (
    "mailvault backs up Maildir stores; Dovecot converts this one itself with dsync, user by user"
    " (`doveadm backup -u USER maildir:~/Maildir`, then mail_location = maildir:~/Maildir),"
    " keeping flags, dates and UIDs: runbooks/convert-to-maildir.md"
)


@dataclass(frozen=True)
class Location:
    format: str  # maildir, mbox, sdbox, mdbox, ... ("" when Dovecot is left to find it)
    path: str
    options: dict[str, str]


@dataclass(frozen=True)
class MaildirPlan:
    """A Maildir store mailvault's pattern layouts describe."""

    root: str
    layout: str
    folder_layout: str  # "maildir++" or "fs"
    how: str  # where it came from, for the operator


@dataclass(frozen=True)
class AskDovecot:
    """A Maildir store whose mailboxes only Dovecot can list (``layout = "dovecot"``)."""

    folder_layout: str
    why: str


@dataclass(frozen=True)
class Refused:
    format: str
    why: str


Plan = MaildirPlan | AskDovecot | Refused


def parse(text: str) -> Location:
    """
    >>> parse("mbox:~/mail:INBOX=/var/mail/%u")
    Location(format='mbox', path='~/mail', options={'INBOX': '/var/mail/%u'})
    >>> parse("maildir:/var/vmail/%d/%n:LAYOUT=fs").options
    {'LAYOUT': 'fs'}
    >>> parse("")
    Location(format='', path='', options={})
    """
    text = text.strip()
    if not text:
        return Location("", "", {})
    head, _, rest = text.partition(":")
    if "/" in head or "~" in head:  # a bare path: Dovecot guesses the format from what it finds
        return Location("", text, {})
    parts = rest.split(":")
    options = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    return Location(head.lower(), parts[0], options)


def _plain(part: str) -> str | None:
    """A path component as a pattern: ``%d``/``%n`` (case modifiers dropped), a literal, or None.

    >>> _plain("%Ld"), _plain("%n"), _plain("Maildir"), _plain("%u"), _plain("%{user}")
    ('%d', '%n', 'Maildir', None, None)
    """
    found = re.fullmatch(r"%[LU]?([dn])", part)
    if found:
        return f"%{found[1]}"
    return None if "%" in part else part


def plan(location: Location, *, source: str = "doveconf -h mail_location") -> Plan:
    """What mailvault backs up for this location.

    >>> plan(parse("maildir:/var/vmail/%d/%n/Maildir:LAYOUT=fs"))
    MaildirPlan(root='/var/vmail', layout='%d/%n/Maildir', folder_layout='fs', how='from `doveconf -h mail_location`')
    >>> plan(parse("mbox:~/mail:INBOX=/var/mail/%u")).format
    'mbox'
    >>> type(plan(parse("maildir:~/Maildir"))).__name__
    'AskDovecot'
    """
    fmt = location.format
    folders = "fs" if location.options.get("LAYOUT", "").lower() == "fs" else "maildir++"
    if fmt in ("mbox", "sdbox", "mdbox", "dbox", "imapc", "pop3c", "obox"):
        return Refused(fmt, f"the store is {fmt} ({location.path}): {CONVERT}")
    if fmt not in ("maildir", ""):
        return Refused(fmt or "?", f"unknown mail storage {fmt!r}: {CONVERT}")
    path = location.path
    if not path.startswith("/"):
        return AskDovecot(folders, f"the maildirs are under each user's home ({path}): only Dovecot knows the homes")
    parts = path.strip("/").split("/")
    first = next((i for i, p in enumerate(parts) if "%" in p), None)
    if first is None:
        return AskDovecot(folders, f"one path for every user ({path}): no user in it to tell mailboxes apart")
    pattern = [_plain(p) for p in parts[first:]]
    if any(p is None for p in pattern) or "%n" not in pattern:
        return AskDovecot(folders, f"{path} names mailboxes in a way no %d/%n pattern describes")
    root = "/" + "/".join(parts[:first])
    return MaildirPlan(root, "/".join(p for p in pattern if p), folders, f"from `{source}`")
