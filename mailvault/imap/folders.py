"""Mapping a mailbox's folders from one IMAP server to another (pure).

Each side has its own hierarchy separator and personal-namespace prefix (``INBOX.`` on some
servers, nothing on others), its own names for the special-use folders (RFC 6154: Sent may be
"Sent", "Sent Items" or "Sent Messages"), and folder names in modified UTF-7 on the wire. A folder is
mapped by its role when it has one and the destination has a folder of that role, otherwise by its
decoded path, re-encoded for the destination. What cannot be mapped cleanly is reported: two
sources landing on one destination name, a name part holding the destination's separator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mailvault.mail import utf7

ROLES = ("\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive")
VIRTUAL = ("\\All", "\\Flagged", "\\Important")  # views onto other folders' messages
NOSELECT = ("\\Noselect", "\\NonExistent")
SEPARATOR_STANDIN = "_"


@dataclass(frozen=True)
class ListedFolder:
    """One LIST answer: the wire name (modified UTF-7), its delimiter and flags."""

    name: str
    delimiter: str | None = "/"
    flags: frozenset[str] = frozenset()

    @property
    def role(self) -> str | None:
        lowered = {f.lower() for f in self.flags}
        return next((r for r in ROLES if r.lower() in lowered), None)

    @property
    def virtual(self) -> str | None:
        lowered = {f.lower() for f in self.flags}
        return next((v for v in VIRTUAL if v.lower() in lowered), None)

    @property
    def selectable(self) -> bool:
        return not any(f.lower() in {n.lower() for n in NOSELECT} for f in self.flags)


@dataclass(frozen=True)
class Side:
    """One server's view of one account: separator, personal namespace prefix, folders."""

    delimiter: str
    prefix: str = ""
    folders: tuple[ListedFolder, ...] = ()

    def path(self, folder: ListedFolder) -> tuple[str, ...]:
        """The decoded hierarchy below the namespace: ``INBOX.Archive.2025`` (prefix ``INBOX.``) ->
        ``("Archive", "2025")``; INBOX itself is ``("INBOX",)``."""
        if folder.name.upper() == "INBOX":
            return ("INBOX",)
        name = folder.name
        if self.prefix and name.startswith(self.prefix):
            name = name[len(self.prefix) :]
        return (
            tuple(utf7.decode(part) for part in name.split(self.delimiter)) if self.delimiter else (utf7.decode(name),)
        )

    def name(self, path: tuple[str, ...]) -> str:
        """The wire name of ``path`` on this side."""
        if path == ("INBOX",):
            return "INBOX"
        return self.prefix + self.delimiter.join(utf7.encode(part) for part in path)

    def by_role(self) -> dict[str, ListedFolder]:
        found: dict[str, ListedFolder] = {}
        for folder in self.folders:
            if folder.role is not None and folder.role not in found:
                found[folder.role] = folder
        return found


@dataclass(frozen=True)
class Mapping:
    source: str  # wire names
    destination: str
    why: str  # "INBOX" | "role \\Sent" | "same path" | "renamed: ..." | preset reasons
    role: str | None = None
    exists: bool = False  # the destination folder is already there
    dedupe_account: bool = False  # skip messages already copied from any folder (Gmail's All Mail)


@dataclass
class FolderPlan:
    mappings: list[Mapping] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)
    collisions: dict[str, list[str]] = field(default_factory=dict)  # destination -> its sources

    def destination_of(self, source: str) -> str | None:
        return next((m.destination for m in self.mappings if m.source == source), None)


@dataclass(frozen=True)
class Preset:
    """A known provider's quirks. As the *source* of a migration its folders map specially
    (``strip_prefix``, ``skip_virtual``, ``all_mail_to_archive``); as the *destination* its upload
    caps are honoured by the copier (migrate/caps.py): ``max_message_bytes`` (larger messages are
    skipped, with the reason), ``max_upload_bytes_per_day`` (the copy stops before crossing it and
    says when to run again), ``max_bytes_per_second`` (pacing) and ``max_connections``."""

    name: str
    strip_prefix: str = ""  # a provider's folder for its own folders ("[Gmail]/")
    skip_virtual: bool = True
    all_mail_to_archive: bool = False  # copy All Mail last, into Archive, skipping messages already copied
    max_message_bytes: int | None = None
    max_upload_bytes_per_day: int | None = None
    max_bytes_per_second: float | None = None
    max_connections: int | None = None
    notes: str = ""


# The figures, and where they come from (checked 2025; providers change them without notice):
# - Gmail: messages up to 25 MB (Gmail Help, "attachment size limit", MIME-encoded size; an APPEND over
#   it gets "[ALERT] Message too large"); IMAP uploads 500 MB a day (Google Workspace Admin Help,
#   "Gmail bandwidth limits": upload via IMAP 500 MB/day; free accounts are not stricter in public
#   figures but Google says they may be), taken in decimal MB, the smaller reading, since crossing it
#   suspends IMAP uploads for the account; 15 simultaneous IMAP connections per account (Gmail Help,
#   "Too many simultaneous connections"). No per-second rate is published: none is set.
# - Office 365 / Exchange Online: messages up to 35 MB sending, 36 MB receiving by default, an admin
#   may raise it to 150 MB (Microsoft Learn, "Exchange Online limits", message limits); 35 MB is
#   taken (the default, the lower). No daily upload cap and no rate are published for IMAP: Exchange
#   Online throttles by per-user budgets and answers with a throttling response, which the copy meets
#   with back-off; 20 concurrent IMAP connections per mailbox (Exchange Online throttling FAQ).
PRESETS = {
    "gmail": Preset(
        "gmail", strip_prefix="[Gmail]", all_mail_to_archive=True, max_message_bytes=25 * 2**20,
        max_upload_bytes_per_day=500 * 10**6, max_connections=15,
        notes="as source: labels become folders; a message with several labels is copied into each; All Mail"
        " goes last, into Archive, and only the messages no label held (archived mail); Important and Starred"
        " are views and are skipped (Starred is the \\Flagged flag). As destination: messages over 25 MiB are"
        " skipped; IMAP uploads stop at 500 MB a day and resume on the next run",
    ),
    "office365": Preset(
        "office365", max_message_bytes=35 * 2**20, max_connections=20,
        notes="as destination: messages over 35 MiB are skipped (the tenant default; raised tenants allow up to"
        " 150 MB); Exchange Online throttles by budget, which the copy meets with back-off",
    ),
}  # fmt: skip


def _strip(path: tuple[str, ...], preset: Preset | None) -> tuple[str, ...]:
    if preset is not None and preset.strip_prefix and len(path) > 1 and path[0] == preset.strip_prefix:
        return path[1:]
    return path


_UNSAFE = {chr(c) for c in range(0x20)} | {"\x7f", "/"}
_NO_NAMES = ("", ".", "..")  # levels a server could read as a step out of the mailbox


def clean_part(part: str, delimiter: str) -> str:
    """One level of a folder's name as the destination may take it: the destination's separator, a
    slash (a path on many servers' disks) and control characters (NUL) become ``_``, and an empty,
    ``.`` or ``..`` level, which a server could read as a step out of the mailbox, becomes ``_``s.

    >>> clean_part("a.b", "."), clean_part("..", "/"), clean_part("x\\x00y/z", ".")
    ('a_b', '__', 'x_y_z')
    """
    if part in _NO_NAMES:
        return SEPARATOR_STANDIN * max(1, len(part))
    return "".join(SEPARATOR_STANDIN if ch == delimiter or ch in _UNSAFE else ch for ch in part)


def _why_renamed(part: str, delimiter: str) -> str:
    if part in _NO_NAMES:
        return f"{part!r} is no folder name"
    if delimiter in part:
        return f"{delimiter!r} is the destination's separator"
    return "a slash or control character is not kept"


def map_folders(source: Side, destination: Side, *, preset: str | None = None, by_role: bool = True) -> FolderPlan:
    """Where each of ``source``'s folders goes on ``destination``. ``by_role=False``: by path only,
    as Dovecot's dsync maps them (Sent lands in Sent even where the destination's \\Sent folder is
    "Sent Messages")."""
    chosen = PRESETS[preset] if preset else None
    plan = FolderPlan()
    wanted_roles = destination.by_role() if by_role else {}
    existing = {f.name for f in destination.folders}
    all_mail: list[ListedFolder] = []
    for folder in source.folders:
        if not folder.selectable:
            plan.skipped.append((folder.name, "not selectable (a hierarchy level only); created if a child needs it"))
            continue
        if folder.virtual == "\\All" and chosen is not None and chosen.all_mail_to_archive:
            all_mail.append(folder)
            continue
        if folder.virtual is not None and (chosen is None or chosen.skip_virtual):
            plan.skipped.append((folder.name, f"a {folder.virtual} view of messages kept in other folders"))
            continue
        plan.mappings.append(_one(folder, source, destination, wanted_roles, existing, chosen))
    for folder in all_mail:  # last: its messages mostly arrived already through their labels
        target = wanted_roles.get("\\Archive")
        name = target.name if target is not None else destination.name(("Archive",))
        plan.mappings.append(Mapping(folder.name, name, "All Mail: only what no label held", "\\Archive",
                                     name in existing, dedupe_account=True))  # fmt: skip
    by_destination: dict[str, list[str]] = defaultdict(list)
    for m in plan.mappings:
        by_destination[m.destination].append(m.source)
    plan.collisions = {d: s for d, s in by_destination.items() if len(s) > 1}
    return plan


def _one(
    folder: ListedFolder,
    source: Side,
    destination: Side,
    roles: dict[str, ListedFolder],
    existing: set[str],
    preset: Preset | None,
) -> Mapping:
    path = source.path(folder)
    if path == ("INBOX",):
        return Mapping(folder.name, "INBOX", "INBOX", None, True)
    role = folder.role
    if role is not None and role in roles:
        return Mapping(folder.name, roles[role].name, f"role {role}", role, True)
    path = _strip(path, preset)
    clean = tuple(clean_part(part, destination.delimiter) for part in path)
    why = "same path"
    if clean != path:
        why = "renamed: " + "; ".join(
            sorted(
                {_why_renamed(part, destination.delimiter) for part, c in zip(path, clean, strict=True) if part != c}
            )
        )
    name = destination.name(clean)
    return Mapping(folder.name, name, why, role, name in existing)
