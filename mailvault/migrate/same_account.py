"""Refusing a migration whose destination is its own source: the same account on the same server,
however it is named. A copy onto itself finds every message already there and reports "verified", so
a mistyped destination would stay green all the way to the MX cutover."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailvault import netprobe
from mailvault.errors import ConfigError
from mailvault.imap.endpoint import Endpoint
from mailvault.imap.session import inbox_fingerprint, sees_subscription
from mailvault.migrate.accounts import Account, AccountsFile

if TYPE_CHECKING:
    from mailvault.imap.client import ImapSession

Resolve = Callable[[str, int], set[str]]
_HINT = "fix [destination] (host, port) or the account's destination_user in the accounts file"


def addresses(host: str, port: int) -> set[str]:
    """The addresses ``host`` resolves to (empty when it does not: the connection says why later)."""
    return netprobe.addresses(host, port)


def same_server(source: Endpoint, destination: Endpoint, resolve: Resolve = addresses) -> set[str]:
    """The addresses both endpoints reach on the same port (empty: not the same server by its address).

    >>> same_server(Endpoint("localhost", 993), Endpoint("127.0.0.1", 993), lambda h, p: {"127.0.0.1"})
    {'127.0.0.1'}
    """
    if source.port != destination.port:
        return set()
    if source.host.lower().rstrip(".") == destination.host.lower().rstrip("."):
        return {source.host}
    return resolve(source.host, source.port) & resolve(destination.host, destination.port)


def refuse_same_accounts(spec: AccountsFile, resolve: Resolve = addresses) -> None:
    """Raise ConfigError when an account's destination is its source by host (or address), port and user."""
    shared = same_server(spec.source, spec.destination, resolve)
    if not shared:
        return
    for account in spec.accounts:
        if account.source_user.casefold() == account.destination_user.casefold():
            raise ConfigError(
                f"account {account.source_user}: source and destination are the same account on the same server"
                f" ({spec.source.host}:{spec.source.port} and {spec.destination.host}:{spec.destination.port}"
                f" both reach {', '.join(sorted(shared))})",
                hint=_HINT,
            )


def refuse_same_mailbox(src: ImapSession, dst: ImapSession, spec: AccountsFile, account: Account) -> None:
    """Raise ConfigError when the two logged-in sessions are one account (another name, port or login
    for the same server). An identical INBOX (GUID, UIDVALIDITY, UIDNEXT, count) is checked by a
    subscription only the one account could see, so that an exact copy (dsync keeps GUIDs and UIDs)
    is not taken for its source."""
    if inbox_fingerprint(src) != inbox_fingerprint(dst) or sees_subscription(dst, src) is False:
        return
    raise ConfigError(
        f"account {account.source_user}: the destination {spec.destination.host}:{spec.destination.port} as"
        f" {account.destination_user} is the source's own mailbox (it sees the source's changes)",
        hint=_HINT,
    )
