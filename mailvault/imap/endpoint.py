"""One IMAP server as mailvault reaches it: address, TLS, authentication, timeouts (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Tls = Literal["implicit", "starttls", "none"]
Auth = Literal["login", "plain", "xoauth2"]
PresetName = Literal["gmail", "office365"]


@dataclass(frozen=True)
class Endpoint:
    """One IMAP server."""

    host: str  # IMAP server name or address
    port: int = 993
    tls: Tls = "implicit"  # implicit (993), starttls (143) or none (reported as insecure)
    ca_file: Path | None = None  # CA bundle for a private CA (certificates are verified)
    auth: Auth = "login"  # login, plain, or xoauth2 (a token from oauth_token_command)
    timeout: float = 60  # seconds before a silent server is given up on
    connections: int = 4  # connections to this server at once (all accounts)
    preset: PresetName | None = None  # see PRESET_HELP in migrate/accounts.py
