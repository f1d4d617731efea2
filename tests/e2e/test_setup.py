"""`mailvault setup` on real host configs: the real doveconf, doveadm (a running Dovecot with a
passwd-file userdb), postconf and an OpenDKIM KeyTable in temp dirs, real restic and SeaweedFS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mailvault.demo.dovecot import DovecotServer
from tests.e2e.workspace import Workspace


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
    etc = ws.root / "etc"
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
        "--dovecot-config",
        str(etc / "dovecot" / "dovecot.conf"),
        "--postfix-config",
        str(etc / "postfix"),
        "--opendkim-config",
        str(etc / "opendkim.conf"),
        "--rspamd-config",
        str(etc / "no-rspamd.conf"),
        *more,
    ]


def test_setup_yes_writes_a_config_backs_up_drills_and_exports_the_kit_then_changes_nothing(host: Workspace) -> None:
    ws, etc = host, host.root / "etc"
    done = ws.cli_json(*setup_args(ws))
    assert done["written"] == "created" and oct(ws.config_path.stat().st_mode & 0o777) == "0o600"
    text = ws.config_path.read_text()
    assert f'maildirs = ["{ws.vmail}"]' in text and 'layout = "%d/%n/Maildir"' in text
    assert f"# found: from `doveconf -h mail_location` (maildir:{ws.vmail}/%d/%n/Maildir)" in text
    assert str(etc / "opendkim" / "keys") in text and str(etc / "ssl" / "mail") in text
    assert f"from {etc}/opendkim/KeyTable" in text and "smtpd_tls_cert_file" in text
    steps = {s["name"]: s for s in done["steps"]}
    assert [s["state"] for s in done["steps"]] == ["done"] * 4, done["steps"]
    assert "4 mailboxes, 80 messages" in steps["backup"]["detail"]
    assert steps["restore-test"]["detail"].startswith("pass"), steps
    assert (ws.config_path.parent / "recovery-kit.bin").stat().st_mode & 0o077 == 0
    assert done["record"]["domains"] == ["example.com", "example.org"]
    before = (text, ws.config_path.stat().st_mtime_ns)
    again = ws.cli_json(*setup_args(ws))
    assert again["written"] == "unchanged" and again["drift"] == []
    assert [s["state"] for s in again["steps"][1:]] == ["already done"] * 3, again["steps"]
    assert (ws.config_path.read_text(), ws.config_path.stat().st_mtime_ns) == before
    check = ws.cli(*setup_args(ws, "--check"), "--json")
    assert json.loads(check.stdout)["drift"] == [] and check.returncode == 0
