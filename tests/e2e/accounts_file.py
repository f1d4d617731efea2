"""The accounts file of one mailbox moved between two loopback servers, as the migrate tests write it."""

from __future__ import annotations

from pathlib import Path


def write_accounts(
    path: Path,
    source_port: int,
    destination_port: int,
    user: str,
    source_pw: Path,
    destination_pw: Path | None,
    *,
    source: str = "",
    destination: str = "",
    destination_tls: str = "none",
    destination_login: str | None = None,
) -> Path:
    """``source``/``destination``: more TOML lines for that server's section; ``destination_login``
    replaces the destination's password file line (an OAuth token command, say)."""
    login = destination_login or f'destination_password_file = "{destination_pw}"'
    path.write_text(
        f'[source]\nhost = "127.0.0.1"\nport = {source_port}\ntls = "none"\n{source}\n'
        f'[destination]\nhost = "127.0.0.1"\nport = {destination_port}\ntls = "{destination_tls}"\n{destination}\n'
        f'[[accounts]]\nsource_user = "{user}"\nsource_password_file = "{source_pw}"\n'
        f'destination_user = "{user}"\n{login}\n'
    )
    return path
