"""Opening an IMAP session: TLS verified by default, errors as operator messages."""

from __future__ import annotations

import ssl
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailvault.errors import ImapError, ImapRefused, ImapUnreachable, ImapUntrusted
from mailvault.imap.client import ImapSession

Tls = Literal["implicit", "starttls", "none"]


def connect(
    host: str,
    port: int,
    *,
    tls: Tls = "implicit",
    ca_file: str | None = None,
    timeout: float = 30.0,
) -> ImapSession:
    """A session connected (not logged in). Raise ImapError naming the server when it cannot."""
    context = ssl.create_default_context(cafile=ca_file) if tls != "none" else None
    try:
        client = IMAPClient(host, port=port, ssl=tls == "implicit", ssl_context=context, timeout=timeout)
        if tls == "starttls":
            client.starttls(context)
    except ssl.SSLCertVerificationError as exc:  # reached, but not trusted: trying again will not help
        raise ImapUntrusted(f"IMAP server {host}:{port}", exc.verify_message) from exc
    except (OSError, IMAPClientError) as exc:
        raise ImapUnreachable(
            f"IMAP server {host}:{port} cannot be reached: {exc}", hint="check host, port and tls"
        ) from exc
    return ImapSession(client)


def login(
    session: ImapSession,
    user: str,
    secret: str,
    *,
    where: str,
    method: str = "login",
    named: bool = False,
    hint: str = "check the user name and password",
    failed_hint: str | None = None,
) -> None:
    """Log in by ``method`` (see ImapSession.login); the server turning the credentials down is an
    ImapError naming ``where``, the user (and with ``named``, the method) with ``hint``; any other
    refusal quotes the server, with ``failed_hint``."""
    try:
        session.login(user, secret, method=method)
    except ImapRefused as exc:
        if exc.login:
            raise ImapError(f"{where}: login as {user} refused" + (f" ({method})" if named else ""), hint=hint) from exc
        raise ImapError(f"{where}: login as {user} failed: {exc.reply}", hint=failed_hint) from exc
