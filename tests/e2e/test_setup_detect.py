"""What the real `doveconf` says about the common stacks' mail_location, and what mailvault makes
of it: a root and a pattern, "ask Dovecot", or a refusal naming the format and the conversion."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from mailvault.setup.mail_location import AskDovecot, MaildirPlan, Refused, parse, plan
from tests.e2e.workspace import Workspace

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
        assert got.format in ("mbox", "sdbox", "mdbox") and "doveadm backup -u USER maildir:~/Maildir" in got.why
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


def test_hashed_homes_are_backed_up_and_drilled_from_dovecots_own_list(ws: Workspace) -> None:
    """iRedMail-style homes (``vmail1/<domain>/a/l/i/alice-2026.01.01``) that no %d/%n pattern
    describes: layout = dovecot asks the running Dovecot (a real one, passwd-file userdb) for every
    user's maildir; the backup holds all four mailboxes by their login, and the drill passes. A
    user whose home lies outside sources.maildirs stops the backup, named."""
    import shutil

    from mailvault.demo.dovecot import DovecotServer

    ws.generate()
    homes: dict[str, Path] = {}
    for maildir in sorted(ws.vmail.glob("*/*/Maildir")):
        domain, user = maildir.parent.parent.name, maildir.parent.name
        home = ws.vmail / "vmail1" / domain / user[0] / user[1] / user[2] / f"{user}-2026.01.01"
        home.parent.mkdir(parents=True)
        shutil.move(str(maildir.parent), str(home))
        homes[f"{user}@{domain}"] = home
    for domain in ("example.com", "example.org"):
        (ws.vmail / domain).rmdir()
    server = DovecotServer(ws.root / "dovecot", dict.fromkeys(homes, "pw"), homes=homes).start()
    try:
        ws.layout = "dovecot"
        ws.sources_extra = f'dovecot_config = "{ws.root / "dovecot" / "dovecot.conf"}"\n'
        ws.write_config(extra="[drill]\ncontrols = false\ncanary = false\n")
        ws.cli("init")
        done = ws.cli_json("backup")
        assert (done["manifest"]["mailboxes"], done["manifest"]["messages"]) == (4, 80), done
        report = ws.cli_json("restore-test", "--runtime", "local")
        assert report["verdict"] == "pass" and (report["mailboxes"], report["messages"]) == (4, 80), report["findings"]
        target = ws.root / "restored"
        ws.cli("restore", "latest", "--mailbox", "alice@example.com", "--target", str(target))
        alice = homes["alice@example.com"] / "Maildir"
        restored = target / str(alice).lstrip("/")
        assert sorted(p.name for p in (restored / "cur").iterdir()) == sorted(p.name for p in (alice / "cur").iterdir())
        assert not (target / str(homes["bob@example.com"]).lstrip("/")).exists()  # only the one asked for
        conf = str(ws.root / "dovecot" / "dovecot.conf")
        seen = json.loads(ws.bare_cli("setup", "detect", "--json", "--dovecot-config", conf).stdout)["items"]
        store = next(i for i in seen if i["what"] == "store")
        assert store["value"] == str(ws.vmail / "vmail1") and "4 maildirs" in store["how"], seen
        assert any(i["what"] == "layout" and i["value"] == "dovecot" for i in seen), seen
        stray = ws.root / "elsewhere" / "carol"
        (stray / "Maildir" / "cur").mkdir(parents=True)
        with (ws.root / "dovecot" / "users").open("a") as users:
            users.write(f"carol@example.org:{{PLAIN}}pw:65534:65534::{stray}::\n")
        time.sleep(1.1)  # (Dovecot reads a changed passwd-file at most once a second)
        refused = ws.cli("backup", check=False)
        assert refused.returncode != 0 and "carol@example.org" in refused.stderr, refused.stderr
        assert "outside sources.maildirs" in refused.stderr and "add their root to sources.maildirs" in refused.stderr
    finally:
        server.stop()


def test_setup_detect_names_each_item_and_how_it_knows(tmp_path: Path, ws: Workspace) -> None:
    """A virtual-users host: Dovecot's mail_location, Postfix's TLS files, OpenDKIM's KeyTable, each
    read by the real tools from a config in a temp dir; nothing written."""
    dovecot = tmp_path / "dovecot.conf"
    dovecot.write_text("mail_location = maildir:/var/vmail/%d/%n/Maildir:LAYOUT=fs\nssl = no\n")
    pf = tmp_path / "postfix"
    pf.mkdir()
    (pf / "main.cf").write_text("smtpd_tls_cert_file = /etc/ssl/mail/fullchain.pem\n"
                                "smtpd_tls_key_file = /etc/ssl/mail/privkey.pem\n")  # fmt: skip
    (tmp_path / "KeyTable").write_text(f"mail._domainkey.example.org example.org:mail:{tmp_path}/keys/mail.private\n")
    (tmp_path / "opendkim.conf").write_text(f"KeyTable refile:{tmp_path}/KeyTable\n")
    before = sorted(tmp_path.rglob("*"))
    dkim = ["--opendkim-config", str(tmp_path / "opendkim.conf"), "--rspamd-config", str(tmp_path / "none")]
    args = ["setup", "detect", "--json", "--dovecot-config", str(dovecot), "--postfix-config", str(pf), *dkim]
    found = json.loads(ws.bare_cli(*args).stdout)
    items = {(i["what"], i["value"]): i["how"] for i in found["items"]}
    assert found["ok"] is True and found["refused"] is None
    assert "from `doveconf -h mail_location`" in items[("store", "/var/vmail")]
    assert ("layout", "%d/%n/Maildir") in items and ("folder_layout", "fs") in items
    assert ("config", str(pf)) in items and ("config", str(tmp_path)) in items
    assert "smtpd_tls_cert_file = /etc/ssl/mail/fullchain.pem" in items[("keys", "/etc/ssl/mail")]
    assert items[("dkim", f"mail._domainkey.example.org = {tmp_path}/keys/mail.private")] == f"from {tmp_path}/KeyTable"
    assert sorted(tmp_path.rglob("*")) == before, "detect writes nothing"
    dovecot.write_text("mail_location = mbox:~/mail:INBOX=/var/mail/%u\nssl = no\n")
    refused = ws.bare_cli(*args, check=False)
    assert refused.returncode == 1 and "the store is mbox" in json.loads(refused.stdout)["refused"]


@pytest.mark.parametrize(
    ("stack", "pattern"),
    [
        ("mailcow", "var/vmail/%d/%n"),
        ("docker-mailserver", "var/mail/%d/%n"),
        ("mail-in-a-box", "home/user-data/mail/mailboxes/%d/%n"),
        ("virtual-vmail", "var/vmail/%d/%n/Maildir"),
    ],
)
def test_each_pattern_stack_finds_exactly_its_mailboxes(
    tmp_path: Path, ws: Workspace, stack: str, pattern: str
) -> None:
    """Real directories laid out as each stack lays them, with what else lives there (a sieve dir, a
    garbage dir, a user dir that is not a maildir): detect lists exactly the maildirs' users."""
    root = tmp_path / pattern.split("/%d")[0]
    wanted = ["alice@example.com", "bob@example.com", "carol@example.org"]
    for address in wanted:
        user, domain = address.split("@")
        maildir = tmp_path / pattern.replace("%d", domain).replace("%n", user)
        for sub in ("cur", "new", "tmp", ".Sent/cur"):
            (maildir / sub).mkdir(parents=True)
    for stray in ("_garbage/old/cur", "example.com/sieve/scripts", "example.org/dave/not-mail"):
        (root / stray).mkdir(parents=True)
    conf = tmp_path / "dovecot.conf"
    conf.write_text(f"mail_location = maildir:{tmp_path}/{pattern}\nssl = no\n")
    args = ["setup", "detect", "--json", "--dovecot-config", str(conf), "--postfix-config", str(tmp_path / "none")]
    found = json.loads(ws.bare_cli(*args, "--opendkim-config", str(conf), "--rspamd-config", str(conf)).stdout)
    (store,) = found["stores"]
    layout = pattern[len(pattern.split("/%d")[0]) + 1 :]
    assert store["maildirs"] == [str(root)] and store["layout"] == layout, store
    assert store["users"] == wanted, (stack, store)


def test_a_dovecot_config_doveconf_refuses_is_named_and_setup_asks_instead(tmp_path: Path, ws: Workspace) -> None:
    """doveconf failing (an unknown setting in dovecot.conf) is not a crash and not a guess: detect says
    what could not be read, with doveconf's own words, and setup --yes asks for the root by flag."""
    conf = tmp_path / "dovecot.conf"
    conf.write_text("mail_location = maildir:/var/vmail/%d/%n\nmail_locaton = maildir:~/Maildir\n")  # a typo
    args = ["--dovecot-config", str(conf), "--postfix-config", str(tmp_path / "none")]
    args += ["--opendkim-config", str(conf), "--rspamd-config", str(conf)]
    seen = ws.bare_cli("setup", "detect", *args)
    said = " ".join(seen.stdout.split())
    assert "Dovecot's mail_location could not be read" in said and "Unknown setting: mail_locaton" in said, said
    assert "setup will ask for the maildir root and layout" in said
    ws.config_path = tmp_path / "etc" / "mailvault.toml"
    refused = ws.cli("setup", "--yes", "--repository", str(tmp_path / "repo"), *args, check=False)
    assert refused.returncode == 2 and "setup needs --maildir-root" in refused.stderr, refused.stderr
    assert not ws.config_path.exists()


def test_a_path_with_terminal_control_characters_is_printed_escaped(tmp_path: Path, ws: Workspace) -> None:
    """A DKIM key file whose name holds ESC sequences and a bidi override: shown as escapes, never sent
    to the terminal as controls; the JSON keeps the name exact."""
    odd = "mail\x1b[2J\x1b]0;owned\x07\u202ekey.private"
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / odd).write_text("-----BEGIN PRIVATE KEY-----\n")
    (tmp_path / "KeyTable").write_text(f"mail._domainkey.example.org example.org:mail:{tmp_path}/keys/{odd}\n")
    (tmp_path / "opendkim.conf").write_text(f"KeyTable refile:{tmp_path}/KeyTable\n")
    conf = tmp_path / "dovecot.conf"
    conf.write_text("mail_location = maildir:/var/vmail/%d/%n\n")
    args = ["setup", "detect", "--dovecot-config", str(conf), "--postfix-config", str(tmp_path / "none")]
    args += ["--opendkim-config", str(tmp_path / "opendkim.conf"), "--rspamd-config", str(conf)]
    text = ws.bare_cli(*args).stdout
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, repr(text)
    assert "mail\\x1b[2J\\x1b]0;owned\\x07\\u202ekey.private" in text, text
    found = json.loads(ws.bare_cli(*args, "--json").stdout)
    assert any(odd in item["value"] for item in found["items"] if item["what"] == "dkim"), found
