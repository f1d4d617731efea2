"""What a restore takes out of a snapshot, decided from its manifest and the operator's selectors. Pure.

restic restores paths as they were (``/var/vmail/example.com/alice/Maildir/...`` under the
target), so a plan is a list of ``--include`` patterns plus what the result must hold.
A folder is its ``cur/`` and ``new/`` plus Dovecot's ``dovecot-uidlist`` (UIDs, so clients do
not download everything again) and ``dovecot-keywords`` (the letters of custom keywords).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mailvault.errors import RestoreError
from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest

FOLDER_PARTS = ("cur", "new", "dovecot-uidlist", "dovecot-keywords")


@dataclass(frozen=True)
class PlannedFolder:
    mailbox: str
    folder: FolderEntry
    path: str  # the folder's directory as backed up


@dataclass(frozen=True)
class RestorePlan:
    includes: list[str]
    folders: list[PlannedFolder]
    since: datetime | None = None
    until: datetime | None = None
    extra_paths: list[str] = field(default_factory=list)  # config files, keys

    @property
    def messages(self) -> int:
        return sum(f.folder.messages for f in self.folders)

    @property
    def bytes(self) -> int:
        return sum(f.folder.bytes for f in self.folders)

    @property
    def mailboxes(self) -> list[str]:
        return sorted({f.mailbox for f in self.folders})


def restored(target: Path, original: str) -> Path:
    """Where restic puts an absolute path of the snapshot when it restores under ``target``.

    >>> restored(Path("/srv/restore"), "/var/vmail/example.com")
    PosixPath('/srv/restore/var/vmail/example.com')
    """
    return target / original.lstrip("/")


def folder_dir(mailbox_path: str, folder: str, layout: str) -> str:
    """Where a folder lives on disk.

    >>> folder_dir("/v/a/Maildir", "INBOX", "maildir++"), folder_dir("/v/a/Maildir", "Archive.2025", "maildir++")
    ('/v/a/Maildir', '/v/a/Maildir/.Archive.2025')
    >>> folder_dir("/v/a/Maildir", "Archive/2025", "fs")
    '/v/a/Maildir/Archive/2025'
    """
    if folder == "INBOX":
        return mailbox_path
    return f"{mailbox_path}/.{folder}" if layout == "maildir++" else f"{mailbox_path}/{folder}"


def escape(path: str) -> str:
    """A literal path as a restic pattern: its glob characters escaped.

    >>> escape("/v/a/Maildir/.Odd[1]*")
    '/v/a/Maildir/.Odd\\\\[1\\\\]\\\\*'
    """
    return re.sub(r"([*?\[\]\\])", r"\\\1", path)


def plan(
    manifest: Manifest,
    *,
    mailboxes: list[str] | None = None,
    folders: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    extra_paths: list[str] | None = None,
    mail: bool = True,
) -> RestorePlan:
    """Choose what to restore. Raise RestoreError naming a selector that matches nothing.

    ``mailboxes`` by name (``alice@example.com``); ``folders`` by on-disk or display name
    (``Archive.2025`` or ``Archive/2025``); ``mail=False`` restores only ``extra_paths``.
    """
    chosen = _mailboxes(manifest, mailboxes) if mail else []
    planned: list[PlannedFolder] = []
    includes: list[str] = []
    wanted = set(folders or [])
    seen: set[str] = set()
    for mailbox in chosen:
        whole = not wanted
        for entry in mailbox.folders:
            if whole or entry.name in wanted or entry.display in wanted:
                seen.update({entry.name, entry.display} & wanted)
                path = folder_dir(mailbox.path, entry.name, manifest.folder_layout)
                planned.append(PlannedFolder(mailbox.name, entry, path))
                if not whole:
                    includes += [escape(f"{path}/{part}") for part in FOLDER_PARTS]
        if whole:
            includes.append(escape(mailbox.path))
    missing = sorted(wanted - seen)
    if missing:
        raise RestoreError(
            f"no folder named {', '.join(missing)} in the selected mailboxes of this snapshot",
            hint="`mailvault restore SNAPSHOT --dry-run --json` lists them (the name on disk or as clients show it)",
        )
    if since and until and since > until:
        raise RestoreError("--since is after --until", hint="swap the two dates")
    extras = list(extra_paths or [])
    includes += [escape(p) for p in extras]
    if not includes:
        raise RestoreError("nothing selected to restore", hint="select mail, --config-files or --keys")
    return RestorePlan(includes, planned, since, until, extras)


def _mailboxes(manifest: Manifest, names: list[str] | None) -> list[MailboxEntry]:
    if not names:
        return list(manifest.mailboxes)
    by_name = {m.name: m for m in manifest.mailboxes}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], list(by_name), n=1)
        hint = f"did you mean {near[0]}?" if near else "`mailvault restore SNAPSHOT --dry-run` lists the mailboxes"
        raise RestoreError(f"mailbox {', '.join(unknown)} is not in this snapshot", hint=hint)
    return [by_name[n] for n in names]
