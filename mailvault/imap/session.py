"""A logged-in IMAP session for one account on one server, and what it tells about the mailbox
(network edge): namespace, folders with their special-use flags, counts and sizes, quota."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mailvault.errors import ImapRefused, ImapUnreachable, ImapUntrusted
from mailvault.imap.client import ImapSession
from mailvault.imap.connect import connect, login
from mailvault.imap.endpoint import Endpoint
from mailvault.imap.folders import Side
from mailvault.keys.secrets import SecretSource, resolve


@contextmanager
def session(endpoint: Endpoint, user: str, secret: SecretSource, *, role: str) -> Iterator[ImapSession]:
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
        hint = f"check the user and the {secret.describe()}"
        login(client, user, resolve(secret), where=where, method=endpoint.auth, named=True, hint=hint,
              failed_hint="check auth in the accounts file")  # fmt: skip
        yield client
    finally:
        client.logout()


def describe(client: ImapSession) -> Side:
    """Separator, personal-namespace prefix and folders (with flags) of the logged-in account."""
    prefix, delimiter = "", None
    personal = client.personal_namespace()
    if personal:
        prefix, delimiter = personal
    folders = client.list_folders()
    delimiter = delimiter or next((f.delimiter for f in folders if f.delimiter), None)
    return Side(delimiter or "/", prefix, tuple(folders))


@dataclass(frozen=True)
class FolderStats:
    messages: int
    bytes: int
    uidvalidity: int
    uidnext: int
    over: int = 0  # messages larger than the ``over`` asked for
    over_bytes: int = 0


def folder_stats(client: ImapSession, name: str, *, over: int | None = None) -> FolderStats:
    """Counts and sizes of folder ``name``; with ``over``, also of its messages larger than that."""
    selected = client.select(name, readonly=True)
    sizes: list[int] = []
    if selected.exists:
        sizes = [int(v.get(b"RFC822.SIZE", 0)) for v in client.fetch(client.search(), ["RFC822.SIZE"]).values()]
    large = [n for n in sizes if over is not None and n > over]
    return FolderStats(selected.exists, sum(sizes), selected.uidvalidity, selected.uidnext, len(large), sum(large))


@dataclass(frozen=True)
class Quota:
    used_bytes: int
    limit_bytes: int | None  # None: no storage limit reported


def quota(client: ImapSession) -> Quota | None:
    """The storage quota of INBOX's quota root, when the server has QUOTA (RFC 2087)."""
    found = client.quota_of_inbox()
    if found is None:
        return None
    used, limit = found
    return Quota(used * 1024, limit * 1024 if limit is not None else None)  # RFC 2087 counts in units of 1024 octets


def subscribed(client: ImapSession) -> set[str]:
    return {listed.name for listed in client.list_subscribed()}


def inbox_fingerprint(client: ImapSession) -> tuple[str, int, int, int]:
    """What tells one account's INBOX from another's: Dovecot's mailbox GUID (``STATUS X-GUID``) where
    the server tells it ("" elsewhere), UIDVALIDITY, UIDNEXT and MESSAGES."""
    status = client.status("INBOX", ["UIDVALIDITY", "UIDNEXT", "MESSAGES"])
    guid = ""
    with contextlib.suppress(ImapRefused):  # (not Dovecot: BAD, and the session goes on)
        guid = str(client.status("INBOX", ["X-GUID"]).get("X-GUID", ""))
    return guid, int(status["UIDVALIDITY"]), int(status["UIDNEXT"]), int(status["MESSAGES"])


def sees_subscription(writer: ImapSession, reader: ImapSession) -> bool | None:
    """Whether ``reader`` sees a subscription that ``writer`` adds for a moment (then the two sessions
    are one account); None when ``writer`` refuses to subscribe. Nothing else is written: the name
    is subscribed to without a folder and unsubscribed at once."""
    name = f"mailvault-probe-{secrets.token_hex(6)}"
    try:
        writer.subscribe(name)
    except ImapRefused:
        return None
    try:
        return name in subscribed(reader)
    finally:
        with contextlib.suppress(ImapRefused):
            writer.unsubscribe(name)


def message_count(client: ImapSession, name: str) -> int:
    """STATUS MESSAGES of folder ``name``."""
    return int(client.status(name, ["MESSAGES"]).get("MESSAGES", 0))
