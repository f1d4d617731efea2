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


def login(session: ImapSession, user: str, password: str, *, where: str) -> None:
    """LOGIN; a refusal is an ImapError naming ``where`` and the user."""
    try:
        session.login(user, password)
    except ImapRefused as exc:
        if exc.login:
            raise ImapError(f"{where}: login as {user} refused", hint="check the user name and password") from exc
        raise ImapError(f"{where}: login as {user} failed: {exc.reply}") from exc
