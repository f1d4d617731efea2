"""What the real `doveconf` says about the common stacks' mail_location, and what mailvault makes
of it: a root and a pattern, "ask Dovecot", or a refusal naming the format and the conversion."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailvault.setup.mail_location import AskDovecot, MaildirPlan, Refused, parse, plan

STACKS = {
    # Debian 12's own default: mbox in ~/mail, INBOX in /var/mail
    "debian-default": ("mbox:~/mail:INBOX=/var/mail/%u", Refused),
    "debian-maildir-home": ("maildir:~/Maildir", AskDovecot),
    "virtual-vmail": ("maildir:/var/vmail/%d/%n/Maildir", MaildirPlan),
    "mailcow": ("maildir:/var/vmail/%d/%n", MaildirPlan),
    "docker-mailserver": ("maildir:/var/mail/%d/%n", MaildirPlan),
    "mail-in-a-box": ("maildir:/home/user-data/mail/mailboxes/%d/%n", MaildirPlan),
    "iredmail-hashed-homes": ("maildir:~/Maildir/:LAYOUT=fs", AskDovecot),
    "lowercased": ("maildir:/srv/mail/%Ld/%Ln:LAYOUT=fs", MaildirPlan),
    "full-user-as-one-dir": ("maildir:/var/mail/%u", AskDovecot),
    "sdbox": ("sdbox:~/dbox", Refused),
    "mdbox": ("mdbox:~/mdbox", Refused),
}


def doveconf_location(tmp_path: Path, location: str) -> str:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(f"mail_location = {location}\nssl = no\n")
    done = subprocess.run(["doveconf", "-c", str(conf), "-h", "mail_location"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_each_stacks_mail_location_as_doveconf_prints_it(tmp_path: Path, stack: str) -> None:
    location, kind = STACKS[stack]
    said = doveconf_location(tmp_path, location)
    assert said == location  # doveconf reads it back as written
    got = plan(parse(said))
    assert isinstance(got, kind), got
    if isinstance(got, Refused):
        assert got.format in ("mbox", "sdbox", "mdbox") and "doveadm sync" in got.why
    if stack == "virtual-vmail":
        assert got == MaildirPlan("/var/vmail", "%d/%n/Maildir", "maildir++", "from `doveconf -h mail_location`")
    if stack == "lowercased":
        assert isinstance(got, MaildirPlan) and (got.root, got.layout, got.folder_layout) == (
            "/srv/mail",
            "%d/%n",
            "fs",
        )


def test_postfix_tls_files_as_the_real_postconf_reads_them(tmp_path: Path) -> None:
    from mailvault.setup.postfix import Found, tls_files

    etc = tmp_path / "postfix"
    etc.mkdir()
    (etc / "main.cf").write_text(
        "compatibility_level = 3.6\n"
        "smtpd_tls_cert_file = /etc/letsencrypt/live/mail.example.org/fullchain.pem\n"
        "smtpd_tls_key_file = /etc/letsencrypt/live/mail.example.org/privkey.pem\n"
        "smtpd_tls_chain_files = /etc/ssl/rsa.pem, /etc/ssl/ecdsa.pem\n"
    )
    found = tls_files(str(etc))
    assert [(f.setting, f.path) for f in found] == [
        ("smtpd_tls_cert_file", "/etc/letsencrypt/live/mail.example.org/fullchain.pem"),
        ("smtpd_tls_key_file", "/etc/letsencrypt/live/mail.example.org/privkey.pem"),
        ("smtpd_tls_chain_files", "/etc/ssl/rsa.pem"),
        ("smtpd_tls_chain_files", "/etc/ssl/ecdsa.pem"),
    ]
    assert found[0] == Found("smtpd_tls_cert_file", found[0].path, f"from `postconf -c {etc} -h smtpd_tls_cert_file`")
