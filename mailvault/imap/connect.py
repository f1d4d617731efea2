"""Opening an IMAP session: TLS verified by default, errors as operator messages."""

from __future__ import annotations

import ssl
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailvault.errors import ImapError, ImapUnreachable, ImapUntrusted

Tls = Literal["implicit", "starttls", "none"]


def connect(
    host: str,
    port: int,
    *,
    tls: Tls = "implicit",
    ca_file: str | None = None,
    timeout: float = 30.0,
) -> IMAPClient:
    """An IMAPClient connected (not logged in). Raise ImapError naming the server when it cannot."""
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
    return client


def login(client: IMAPClient, user: str, password: str, *, where: str) -> None:
    try:
        client.login(user, password)
    except LoginError as exc:
        raise ImapError(f"{where}: login as {user} refused", hint="check the user name and password") from exc
