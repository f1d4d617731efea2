"""doveadm's argv (exact tuples, no secret in them), the in-memory password config, the names dsync
knows a folder by, the settings dump and what a failure means."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailvault.tools import doveadm
from mailvault.tools.doveadm import Imapc

CONF = Path("/etc/dovecot/dovecot.conf")
PLAIN = Imapc("127.0.0.1", 10143, "none", "alice@example.com")


def test_sync_argv_exact() -> None:
    argv = doveadm.sync_argv("doveadm", Path("/proc/42/fd/7"), "alice@example.com", PLAIN, namespace="inbox",
                             exclude=["INBOX", "Kunden.A_B Müller", "Kunden.A~2eB Müller"])  # fmt: skip
    assert argv == (
        "doveadm", "-c", "/proc/42/fd/7",
        "-o", "imapc_host=127.0.0.1", "-o", "imapc_port=10143", "-o", "imapc_ssl=no",
        "-o", "imapc_user=alice@example.com", "-o", "imapc_features=rfc822.size fetch-headers",
        "-o", "mail_prefetch_count=20", "-o", "namespace/inbox/prefix=",
        "sync", "-1", "-R", "-l", "60", "-x", "INBOX", "-x", "Kunden.A_B Müller", "-x", "Kunden.A~2eB Müller",
        "-u", "alice@example.com", "imapc:",
    )  # fmt: skip


def test_sync_is_one_way_and_pulls_never_backup() -> None:
    argv = doveadm.sync_argv("doveadm", CONF, "a", PLAIN, namespace=None)
    assert argv[argv.index("sync") : argv.index("sync") + 3] == ("sync", "-1", "-R")
    assert "backup" not in argv and not any(a.startswith("namespace/") for a in argv)


def test_imapc_settings_with_tls_a_private_ca_and_a_source_prefix() -> None:
    source = Imapc("imap.old.example", 993, "implicit", "bob", Path("/etc/ssl/old-ca.pem"), "INBOX")
    assert doveadm.imapc_settings(source) == (
        "-o", "imapc_host=imap.old.example", "-o", "imapc_port=993", "-o", "imapc_ssl=imaps",
        "-o", "imapc_ssl_verify=yes", "-o", "ssl_client_ca_file=/etc/ssl/old-ca.pem", "-o", "imapc_user=bob",
        "-o", "imapc_list_prefix=INBOX", "-o", "imapc_features=rfc822.size fetch-headers",
        "-o", "mail_prefetch_count=20",
    )  # fmt: skip
    starttls = doveadm.imapc_settings(Imapc("h", 143, "starttls", "bob"))
    assert "imapc_ssl=starttls" in starttls and "imapc_ssl_verify=yes" in starttls


def test_no_password_setting_ever_reaches_argv() -> None:
    argv = doveadm.sync_argv("doveadm", CONF, "alice", PLAIN, namespace="inbox", exclude=["x"])
    assert not any("password" in a for a in argv)


def test_password_config_includes_the_real_one_and_quotes_the_password() -> None:
    text = doveadm.password_config(CONF, 'p%u"w\\ #$x')
    assert text == '!include /etc/dovecot/dovecot.conf\nimapc_password = "p%u\\"w\\\\ #$x"\n'


@pytest.mark.parametrize("bad", ["line\nbreak", "cr\r", "nul\x00"])
def test_a_password_a_config_line_cannot_carry_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        doveadm.password_config(CONF, bad)


def test_user_and_config_argv() -> None:
    assert doveadm.user_argv("doveadm", CONF, "alice") == ("doveadm", "-c", str(CONF), "user", "alice")
    assert doveadm.config_argv("/usr/bin/doveadm", CONF) == (
        "/usr/bin/doveadm", "-c", str(CONF), "config", "-S", "namespace", "service/imap-login",
    )  # fmt: skip


def test_dsync_names_local_and_as_imapc_lists_them() -> None:
    assert doveadm.dsync_names(("INBOX",), ".") == ("INBOX",)
    assert doveadm.dsync_names(("Archive", "2025"), ".") == ("Archive.2025",)
    assert doveadm.dsync_names(("Kunden", "A.B Müller"), ".") == ("Kunden.A_B Müller", "Kunden.A~2eB Müller")
    assert doveadm.dsync_names(("a/b",), "/") == ("a_b", "a~2fb")


SETTINGS = """namespace=inbox other
namespace/inbox/name=inbox
namespace/inbox/prefix=INBOX.
namespace/inbox/inbox=yes
namespace/other/prefix=Shared/
namespace/other/inbox=no
service/imap-login/inet_listener/imap/address=127.0.0.1
service/imap-login/inet_listener/imap/port=143
service/imap-login/inet_listener/imaps/address=
service/imap-login/inet_listener/imaps/port=0
"""


def test_parse_config_finds_the_inbox_namespace_and_the_imap_ports() -> None:
    found = doveadm.parse_config(SETTINGS)
    assert found == doveadm.LocalConfig("inbox", "INBOX.", frozenset({143}))
    assert doveadm.parse_config("") == doveadm.LocalConfig(None, "", frozenset())


@pytest.mark.parametrize(
    ("code", "stderr", "what", "hint"),
    [
        (-6, "dsync(a): Error: imapc(h:993): Authentication failed: [AUTHENTICATIONFAILED] Authentication failed.",
         "the source refused the login", "source password"),
        (134, "Error: imapc(h:1): connect(127.0.0.1, 1) failed: Connection refused - disconnecting",
         "could not be reached", "host, port and tls"),
        (67, "doveadm(ghost): Error: User doesn't exist", "does not exist on this host", "doveadm user"),
        (1, "Error: Mailbox INBOX: Failed to save: Quota exceeded (mailbox for user is full)", "over its quota",
         "raise the quota"),
        (2, "", "mail changed while it was copied", "run again"),
        (75, "Fatal: Error reading configuration", "temporary failure", "run again"),
        (-11, "Panic: something", "doveadm crashed (signal 11)", "Dovecot's log"),
        (65, "Error: INBOX can't be deleted.", "doveadm failed (exit 65)", "--engine imap"),
    ],
)  # fmt: skip
def test_explain_failure(code: int, stderr: str, what: str, hint: str) -> None:
    told_what, told_hint = doveadm.explain_failure(code, stderr)
    assert what in told_what and hint in told_hint
