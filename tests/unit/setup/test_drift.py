"""`setup --check`: each kind of drift found, and none on a host that has not changed."""

from __future__ import annotations

from mailvault.setup.drift import Configured, compare
from mailvault.setup.host import HostView, Known, MailStore

USERS = ("alice@x.org", "bob@x.org")
VIEW = HostView(
    MailStore(("/var/vmail",), "%d/%n", "maildir++", "doveconf", USERS),
    None,
    [Known("/etc/postfix", "main.cf")],
    [Known("/etc/opendkim/keys", "KeyTable")],
    {"mail._domainkey.x.org": Known("/etc/opendkim/keys/mail.private", "KeyTable")},
)
CONFIGURED = Configured(("/var/vmail",), "%d/%n", ("/etc/postfix",), ("/etc/opendkim",))


def test_an_unchanged_host_has_no_drift() -> None:
    assert compare(VIEW, CONFIGURED, VIEW.as_record()) == []


def test_a_moved_store_a_new_key_directory_a_new_dkim_key_and_a_new_domain() -> None:
    record = VIEW.as_record()
    now = HostView(
        MailStore(("/srv/vmail",), "%d/%n", "maildir++", "doveconf", (*USERS, "carol@new.example")),
        None,
        VIEW.config_dirs,
        [*VIEW.key_dirs, Known("/etc/ssl/mail", "smtpd_tls_cert_file")],
        {**VIEW.dkim, "s2._domainkey.new.example": Known("/etc/opendkim/keys/s2.private", "KeyTable")},
    )
    found = compare(now, CONFIGURED, record)
    assert [d.kind for d in found] == ["store", "keys", "dkim", "domain"], found
    assert "/srv/vmail" in found[0].what and "/var/vmail" in found[0].what
    assert found[1].what.startswith("/etc/ssl/mail is not backed up")
    assert "s2._domainkey.new.example" in found[2].what
    assert found[3].what == "a new domain: new.example (1 mailboxes)"


def test_a_changed_layout_and_no_record_yet() -> None:
    now = HostView(MailStore(("/var/vmail",), "dovecot", "maildir++", "doveadm", USERS))
    assert [d.kind for d in compare(now, CONFIGURED, None)] == ["layout"]
