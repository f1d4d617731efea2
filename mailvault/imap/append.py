"""Putting restored messages back into a live mailbox: new folders only, flags, keywords and dates kept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailvault.errors import ImapError, ImapRefused
from mailvault.imap.client import ImapSession
from mailvault.mail import utf7
from mailvault.mail.maildir import folder_files
from mailvault.mail.maildir_flags import imap_flags, parse_keywords, restored_folder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderToAppend:
    display: str  # "Archive/2025"
    path: Path  # the restored folder directory


def delimiter(client: ImapSession) -> str:
    listed = client.list_folders("", "")
    return (listed[0].delimiter if listed else None) or "/"


def append_folders(
    client: ImapSession, folders: list[FolderToAppend], stamp: str, *, on_message: Callable[[int], None] | None = None
) -> tuple[list[str], int]:
    """APPEND every message of ``folders`` under ``Restored/<stamp>/...``; return (folders created, messages).

    Raise ImapError, changing nothing, when ``Restored/<stamp>`` exists already (this restore was done).
    """
    sep = delimiter(client)
    base = sep.join(["Restored", stamp])
    if client.folder_exists(utf7.encode(base)):
        raise ImapError(
            f"folder {base.replace(sep, '/')} already exists in the mailbox: nothing was changed",
            hint="that snapshot was restored into this mailbox before; look there, or delete the folder first",
        )
    created: list[str] = []
    count = 0
    for folder in folders:
        name = restored_folder(stamp, folder.display, sep)
        try:
            client.create(utf7.encode(name))
        except ImapRefused as exc:
            raise ImapError(f"cannot create folder {name}: {exc.reply}") from exc
        created.append(name)
        keywords = _keywords(folder.path)
        for _base, _size, rel in folder_files(folder.path).files:
            path = folder.path / rel
            data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            try:
                client.append(utf7.encode(name), data, imap_flags(rel, keywords), when)
            except ImapRefused as exc:
                raise ImapError(f"APPEND to {name} refused ({count} messages were put back): {exc.reply}") from exc
            count += 1
            if on_message is not None:
                on_message(count)
    return created, count


def _keywords(folder: Path) -> dict[str, str]:
    try:
        return parse_keywords((folder / "dovecot-keywords").read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return {}
