"""A logged-in IMAP session for one account on one server, and what it tells about the mailbox
(network edge): namespace, folders with their special-use flags, counts and sizes, quota."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailvault.errors import ImapError, ImapUnreachable, ImapUntrusted
from mailvault.imap.connect import connect
from mailvault.imap.endpoint import Endpoint
from mailvault.imap.folders import Folder, Side
from mailvault.keys.secrets import SecretSource, resolve


@contextmanager
def session(endpoint: Endpoint, user: str, secret: SecretSource, *, role: str) -> Iterator[IMAPClient]:
    """Connected and logged in as ``user`` (``role``: "source" or "destination", for messages)."""
    where = f"{role} {endpoint.host}:{endpoint.port}"
    ca_file = str(endpoint.ca_file) if endpoint.ca_file else None
    try:
        client = connect(endpoint.host, endpoint.port, tls=endpoint.tls, ca_file=ca_file, timeout=endpoint.timeout)
    except ImapUnreachable as exc:
        raise ImapUnreachable(f"{user}: {where} cannot be reached: {exc.__cause__}", hint=exc.hint) from exc
    except ImapUntrusted as exc:  # reached but not trusted: no point in trying again
        raise ImapUntrusted(f"{user}: {where}", exc.reason) from exc
    try:
        client.folder_encode = False  # names stay as on the wire (modified UTF-7); folders.py decodes them
        token = resolve(secret)
        try:
            if endpoint.auth == "xoauth2":
                client.oauth2_login(user, token)
            elif endpoint.auth == "plain":
                client.plain_login(user, token)
            else:
                client.login(user, token)
        except LoginError as exc:
            raise ImapError(
                f"{where}: login as {user} refused ({endpoint.auth})",
                hint=f"check the user and the {secret.describe()}",
            ) from exc
        except IMAPClientError as exc:
            raise ImapError(f"{where}: login as {user} failed: {exc}", hint="check auth in the accounts file") from exc
        yield client
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def describe(client: IMAPClient) -> Side:
    """Separator, personal-namespace prefix and folders (with flags) of the logged-in account."""
    prefix, delimiter = "", None
    if client.has_capability("NAMESPACE"):
        personal = client.namespace().personal
        if personal:
            prefix, delimiter = _text(personal[0][0]), _text(personal[0][1]) if personal[0][1] else None
    folders = []
    for flags, sep, name in client.list_folders():
        sep_text = _text(sep) if sep else None
        delimiter = delimiter or sep_text
        folders.append(Folder(_text(name), sep_text, frozenset(_text(f) for f in flags)))
    return Side(delimiter or "/", prefix, tuple(folders))


@dataclass(frozen=True)
class FolderStats:
    messages: int
    bytes: int
    uidvalidity: int
    uidnext: int
    over: int = 0  # messages larger than the ``over`` asked for
    over_bytes: int = 0


def folder_stats(client: IMAPClient, name: str, *, over: int | None = None) -> FolderStats:
    """Counts and sizes of folder ``name``; with ``over``, also of its messages larger than that."""
    selected = client.select_folder(name, readonly=True)
    exists = int(selected.get(b"EXISTS", 0))
    sizes: list[int] = []
    if exists:
        uids = client.search(["ALL"])
        sizes = [int(v.get(b"RFC822.SIZE", 0)) for v in client.fetch(uids, ["RFC822.SIZE"]).values()]
    large = [n for n in sizes if over is not None and n > over]
    return FolderStats(exists, sum(sizes), int(selected.get(b"UIDVALIDITY", 0)), int(selected.get(b"UIDNEXT", 0)),
                       len(large), sum(large))  # fmt: skip


@dataclass(frozen=True)
class Quota:
    used_bytes: int
    limit_bytes: int | None  # None: no storage limit reported


def quota(client: IMAPClient) -> Quota | None:
    """The storage quota of INBOX's quota root, when the server has QUOTA (RFC 2087)."""
    if not client.has_capability("QUOTA"):
        return None
    try:
        _roots, quotas = client.get_quota_root("INBOX")
    except IMAPClientError:
        return None
    for q in quotas:
        if str(q.resource).upper() == "STORAGE":
            return Quota(int(q.usage) * 1024, int(q.limit) * 1024)  # RFC 2087 counts in units of 1024 octets
    return Quota(0, None)


def subscribed(client: IMAPClient) -> set[str]:
    return {_text(name) for _flags, _sep, name in client.list_sub_folders()}


def inbox_fingerprint(client: IMAPClient) -> tuple[str, int, int, int]:
    """What tells one account's INBOX from another's: Dovecot's mailbox GUID (``STATUS X-GUID``) where
    the server tells it ("" elsewhere), UIDVALIDITY, UIDNEXT and MESSAGES."""
    status = client.folder_status("INBOX", ["UIDVALIDITY", "UIDNEXT", "MESSAGES"])
    guid = ""
    with contextlib.suppress(IMAPClientError):  # (not Dovecot: BAD, and the session goes on)
        guid = _text(client.folder_status("INBOX", ["X-GUID"]).get(b"X-GUID", b""))
    return guid, int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"]), int(status[b"MESSAGES"])


def sees_subscription(writer: IMAPClient, reader: IMAPClient) -> bool | None:
    """Whether ``reader`` sees a subscription that ``writer`` adds for a moment (then the two sessions
    are one account); None when ``writer`` refuses to subscribe. Nothing else is written: the name
    is subscribed to without a folder and unsubscribed at once."""
    name = f"mailvault-probe-{secrets.token_hex(6)}"
    try:
        writer.subscribe_folder(name)
    except IMAPClientError:
        return None
    try:
        return name in subscribed(reader)
    finally:
        with contextlib.suppress(IMAPClientError):
            writer.unsubscribe_folder(name)
