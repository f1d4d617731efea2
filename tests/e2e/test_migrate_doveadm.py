"""`mailvault migrate --engine doveadm` end to end: Dovecot's dsync pulls from a real old server into a
real Dovecot standing in for this host's (its config given as doveadm_config), keeping UIDVALIDITY
and UIDs; nothing on the destination is ever deleted; the source password is never in argv or output."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest
from imapclient import IMAPClient

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import message
from mailvault.errors import DoveadmError
from mailvault.migrate.accounts import load_accounts
from mailvault.migrate.copy import Filters
from mailvault.migrate.dsync_engine import pull, split
from mailvault.migrate.local_dovecot import inspect
from tests.e2e import test_migrate as base
from tests.e2e.raw_imap import imap

move = base.move  # the fixture: two unlike Dovecot servers, the source seeded with the hard cases
USER = "alice@example.com"
# where dsync places each source folder: by path (the imap engine's role mapping is base.MAPPED)
BY_PATH = {"INBOX": "INBOX", "Sent": "INBOX.Sent", "Drafts": "INBOX.Drafts", "Trash": "INBOX.Trash",
           "Spam": "INBOX.Spam", "Archive/2025": "INBOX.Archive.2025", "Entw&APw-rfe": "INBOX.Entw&APw-rfe",
           "Kunden/A.B M&APw-ller": "INBOX.Kunden.A_B M&APw-ller", "Re&AOc-us/Banque": "INBOX.Re&AOc-us.Banque",
           "Empty": "INBOX.Empty"}  # fmt: skip


def use_doveadm(m: base.Move, **options: str) -> None:
    """Point the accounts file at the destination Dovecot's config (as doveadm_config)."""
    extra = {"doveadm_config": str(m.new.root / "dovecot.conf"), **options}
    text = m.accounts.read_text() + "\n[options]\n" + "".join(f'{k} = "{v}"\n' for k, v in extra.items())
    m.accounts.write_text(text)


def cli(m: base.Move, *args: str) -> tuple[int, dict[str, Any]]:
    proc = m.ws.cli("migrate", *args, str(m.accounts), "--json", check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_uid(server: DovecotServer, folder: str) -> tuple[int, dict[int, tuple[bytes, tuple[bytes, ...], str]]]:
    """A folder's UIDVALIDITY and, per UID, the message's bytes, flags and INTERNALDATE."""
    client: IMAPClient = imap(server, USER)
    client.normalise_times = False
    try:
        selected = client.select_folder(folder, readonly=True)
        found = {}
        if int(selected[b"EXISTS"]):
            for uid, d in client.fetch(client.search(["ALL"]), ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]).items():
                flags = tuple(sorted(f for f in d[b"FLAGS"] if f != b"\\Recent"))
                found[uid] = (d[b"BODY[]"], flags, d[b"INTERNALDATE"].astimezone(UTC).isoformat())
        return int(selected[b"UIDVALIDITY"]), found
    finally:
        client.logout()


def total(server: DovecotServer) -> int:
    return sum(len(msgs) for msgs in base.snapshot(server, USER).values())


def test_the_doveadm_engine_keeps_uidvalidity_and_uids(move: base.Move) -> None:
    use_doveadm(move)
    code, planned = cli(move, "plan", "--engine", "doveadm")
    (p,) = planned["accounts"]
    assert code == 0 and p["engine"] == "doveadm" and p["blocking"] == [], p
    assert "UIDs kept" in p["clients"] and "download nothing again" in p["clients"]
    assert "sync -1 -R" in p["safety"] and any("userdb" in c for c in p["preconditions"])
    assert {f["source"]: f["destination"] for f in p["folders"]}["Sent"] == "INBOX.Sent"
    assert all(f["via"] == "dsync" for f in p["folders"])
    assert any("Sent (\\Sent) lands in INBOX.Sent, not in" in w for w in p["warnings"]), p["warnings"]
    code, imap_plan = cli(move, "plan")
    assert "download every message again" in imap_plan["accounts"][0]["clients"]

    code, report = cli(move, "run", "--engine", "doveadm")
    assert code == 0 and report["ok"], report
    (account,) = report["accounts"]
    assert account["engine"] == "doveadm" and account["copied"] == move.seeded.messages
    assert {f["engine"] for f in account["folders"]} == {"dsync"}
    (check,) = report["verify"]
    assert check["ok"] and check["extra"] == 0 and all(f["uids_kept"] for f in check["folders"]), check
    for source, destination in BY_PATH.items():  # bytes, flags, keywords, INTERNALDATE under the same UID
        assert by_uid(move.new, destination) == by_uid(move.old, source), f"{source} -> {destination}"

    before = base.snapshot(move.new, USER)
    code, again = cli(move, "run")  # the engine is remembered
    assert code == 0 and again["accounts"][0]["engine"] == "doveadm"
    assert again["accounts"][0]["copied"] == 0 and base.snapshot(move.new, USER) == before, "nothing copied or deleted"

    code, synced = cli(move, "sync")
    assert code == 0 and synced["accounts"][0]["copied"] == 0, synced
    assert base.snapshot(move.new, USER) == before, "the first sync finds every message: none twice"
    client = imap(move.old, USER)  # mail still arrives at the old server during the overlap
    client.append("Archive/2025", message(600, subject="late"), flags=(b"$label4",))
    client.logout()
    code, synced = cli(move, "sync")
    assert synced["accounts"][0]["copied"] == 1 and total(move.new) == move.seeded.messages + 1


def test_failures_are_clear_and_mail_already_on_the_destination_is_never_deleted(move: base.Move) -> None:
    failures_are_clear(move)  # they leave the destination untouched...
    mail_already_there_is_kept(move)  # ...and a run that works then keeps what was there


def failures_are_clear(move: base.Move) -> None:
    """doveadm missing, an unknown destination user, a wrong source password (refused at the IMAP
    login that opens the run, and refused to dsync's imapc): each names the account and what to do,
    and the password shows nowhere (the leak harness watches argv and output too)."""
    use_doveadm(move, doveadm="/nonexistent/doveadm")
    code, planned = cli(move, "plan", "--engine", "doveadm")
    assert code == 1 and "/nonexistent/doveadm was not found" in planned["accounts"][0]["blocking"][0]
    code, report = cli(move, "run", "--engine", "doveadm")
    assert code == 1 and "was not found" in report["accounts"][0]["error"]

    right = move.accounts.read_text().replace('doveadm = "/nonexistent/doveadm"\n', "")
    ghost = right.replace('destination_user = "alice@example.com"', 'destination_user = "ghost@x.org"')
    move.accounts.write_text(ghost)
    code, report = cli(move, "run", "--engine", "doveadm", "--no-verify")  # (Dovecot delays failed logins)
    error = report["accounts"][0]["error"]
    assert code == 1 and error.startswith(f"{USER}: the destination user ghost@x.org does not exist"), error

    move.accounts.write_text(right)
    spec = load_accounts(move.accounts)
    (account,) = spec.accounts
    found = split(spec, account, Filters())  # read with the right password
    move.ws.write_secret("alice.old", "not-her-password-" + "z" * 8)
    proc = move.ws.cli("migrate", "run", str(move.accounts), "--engine", "doveadm", "--no-verify", check=False)
    assert proc.returncode == 1 and f"login as {USER} refused" in proc.stdout, proc.stdout
    assert "not-her-password" not in proc.stdout + proc.stderr
    with pytest.raises(DoveadmError) as failed:  # dsync's own login, past the one the run opens with
        pull(spec, account, inspect(spec.options), found)
    told = failed.value.one_line() + "\n".join(failed.value.details)
    assert f"{USER}: dsync from 127.0.0.1:{move.old.port} failed" in told and "refused the login" in told, told
    assert "not-her-password" not in told and "command: doveadm -c /proc/" in told
    assert total(move.new) == 0
    move.ws.write_secret("alice.old", base.USERS[USER])


def mail_already_there_is_kept(move: base.Move) -> None:
    """A message that reached the destination first is never deleted; its folder is topped up by the
    imap engine, every other folder filled by dsync with its UIDs."""
    client = imap(move.new, USER)  # mail that reached the new server first
    client.append("INBOX", message(700, subject="arrived on the new server"), flags=(b"\\Seen",))
    client.logout()
    code, report = cli(move, "run", "--engine", "doveadm")
    assert code == 0 and report["ok"], report
    (account,) = report["accounts"]
    via = {f["source"]: f["engine"] for f in account["folders"]}
    assert via["INBOX"] == "imap" and via["Archive/2025"] == "dsync", via
    assert any("INBOX already holds mail" in n for n in account["notes"])
    (check,) = report["verify"]
    folders = {f["source"]: f for f in check["folders"]}
    assert check["missing"] == 0 and check["extra"] == 1 and folders["Archive/2025"]["uids_kept"]
    _validity, inbox = by_uid(move.new, "INBOX")
    assert sum(b"arrived on the new server" in body for body, _f, _d in inbox.values()) == 1
    assert len(inbox) == len(move.seeded.folders["INBOX"]) + 1

    code, again = cli(move, "run")
    assert code == 0 and again["accounts"][0]["copied"] == 0 and total(move.new) == move.seeded.messages + 1
