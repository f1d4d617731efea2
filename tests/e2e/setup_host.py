"""A mail host for `mailvault setup`: its Dovecot (running), Postfix and OpenDKIM configs in a temp
dir, and the flags that point setup at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailvault.demo.dovecot import DovecotServer
from tests.e2e.workspace import Workspace


def host_flags(ws: Workspace) -> list[str]:
    """Where this host's configs are, for `setup`, `setup detect` and `setup --check`."""
    etc = ws.root / "etc"
    return [
        "--dovecot-config",
        str(etc / "dovecot" / "dovecot.conf"),
        "--postfix-config",
        str(etc / "postfix"),
        "--opendkim-config",
        str(etc / "opendkim.conf"),
        "--rspamd-config",
        str(etc / "no-rspamd.conf"),
    ]


@pytest.fixture
def host(ws: Workspace) -> Iterator[Workspace]:
    """A virtual-users host: /…/vmail/%d/%n/Maildir served by a running Dovecot, Postfix with TLS
    files, OpenDKIM with a KeyTable."""
    ws.generate()
    etc = ws.root / "etc"
    (etc / "opendkim" / "KeyTable").write_text(
        f"mail._domainkey.example.com example.com:mail:{etc}/opendkim/keys/mail.private\n"
    )
    (etc / "opendkim.conf").write_text(f"Syslog yes\nKeyTable refile:{etc}/opendkim/KeyTable\n")
    users = {f"{u}@{d}": "pw" for d in ("example.com", "example.org") for u in ("alice", "bob")}
    server = DovecotServer(etc / "dovecot", users, mail_location=f"maildir:{ws.vmail}/%d/%n/Maildir").start()
    ws.config_path = etc / "mailvault" / "mailvault.toml"
    ws.write_secret("kit-passphrase", "correct horse battery staple")
    try:
        yield ws
    finally:
        server.stop()


def setup_args(ws: Workspace, *more: str) -> list[str]:
    """`setup --yes` with every answer a flag, and the host's configs where this fixture put them."""
    return [
        "setup",
        "--yes",
        "--repository",
        ws.url,
        "--s3-access-key-file",
        str(ws.secrets / "s3-id"),
        "--s3-secret-key-file",
        str(ws.secrets / "s3-secret"),
        "--password-file",
        str(ws.secrets / "repository.key"),
        "--kit-passphrase-file",
        str(ws.secrets / "kit-passphrase"),
        "--state-dir",
        str(ws.state),
        "--runtime",
        "local",
        *host_flags(ws),
        *more,
    ]
