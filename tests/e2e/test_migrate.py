"""`mailvault migrate` end to end between two real, unlike Dovecot servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.dovecot_server import DovecotServer
from tests.e2e.migrate_servers import Seeded, old_provider, seed, this_host
from tests.e2e.workspace import Workspace

USERS = {"alice@example.com": "old-pw-alice-" + "a" * 8}
NEW_USERS = {"alice@example.com": "new-pw-alice-" + "b" * 8}


@dataclass
class Move:
    ws: Workspace
    old: DovecotServer
    new: DovecotServer
    seeded: Seeded
    accounts: Path


@pytest.fixture
def move(local_ws: Workspace, tmp_path: Path) -> Iterator[Move]:
    ws = local_ws
    ws.generate()
    old = old_provider(tmp_path / "old", USERS)
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        seeded = seed(old, "alice@example.com")
        old_pw = ws.write_secret("alice.old", USERS["alice@example.com"])
        new_pw = ws.write_secret("alice.new", NEW_USERS["alice@example.com"])
        accounts = tmp_path / "accounts.toml"
        accounts.write_text(
            f'[source]\nhost = "127.0.0.1"\nport = {old.port}\ntls = "none"\n\n'
            f'[destination]\nhost = "127.0.0.1"\nport = {new.port}\ntls = "none"\n\n'
            '[[accounts]]\nsource_user = "alice@example.com"\n'
            f'source_password_file = "{old_pw}"\ndestination_user = "alice@example.com"\n'
            f'destination_password_file = "{new_pw}"\n'
        )
        yield Move(ws, old, new, seeded, accounts)
    finally:
        old.stop()
        new.stop()


def test_plan_maps_unlike_servers_and_writes_nothing(move: Move) -> None:
    proc = move.ws.cli("migrate", "plan", str(move.accounts), "--json", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (account,) = json.loads(proc.stdout)["accounts"]
    rows = {f["source"]: f for f in account["folders"]}
    assert account["source_layout"] == "separator '/', no namespace prefix"
    assert account["destination_layout"] == "separator '.', namespace prefix 'INBOX.'"
    assert rows["Sent"]["destination"] == "INBOX.Sent Messages" and rows["Sent"]["why"] == "role \\Sent"
    assert rows["Trash"]["destination"] == "INBOX.Deleted Messages"
    assert rows["Spam"]["destination"] == "INBOX.Junk"
    assert rows["Archive/2025"]["destination"] == "INBOX.Archive.2025" and rows["Archive/2025"]["subscribed"]
    assert rows["Entwürfe"]["destination"] == "INBOX.Entwürfe"
    assert rows["Reçus/Banque"]["destination"] == "INBOX.Reçus.Banque"
    assert rows["Kunden/A.B Müller"]["destination"] == "INBOX.Kunden.A_B Müller"
    assert rows["Kunden/A.B Müller"]["why"].startswith("renamed")
    assert rows["Empty"]["messages"] == 0 and rows["INBOX"]["messages"] == 17
    assert account["messages"] == move.seeded.messages
    assert account["destination_limit_bytes"] == 200 * 2**20 and account["blocking"] == []
    assert any("without TLS" in w for w in account["warnings"])
    with_new = {f["destination"] for f in account["folders"] if f["exists"]}
    assert with_new == {"INBOX", "INBOX.Sent Messages", "INBOX.Deleted Messages", "INBOX.Junk", "INBOX.Drafts"}
    human = move.ws.cli("migrate", "plan", str(move.accounts)).stdout
    assert "alice@example.com -> alice@example.com" in human and "INBOX.Sent" in human and "17" in human


def test_plan_blocks_when_the_destination_quota_is_too_small(local_ws: Workspace, tmp_path: Path) -> None:
    ws = local_ws
    old = old_provider(tmp_path / "old", USERS)
    new = this_host(tmp_path / "new", NEW_USERS, quota="4k")  # the source holds about 12 KiB
    try:
        seed(old, "alice@example.com")
        accounts = tmp_path / "accounts.toml"
        accounts.write_text(
            f'[source]\nhost = "127.0.0.1"\nport = {old.port}\ntls = "none"\n'
            f'[destination]\nhost = "127.0.0.1"\nport = {new.port}\ntls = "none"\n'
            '[[accounts]]\nsource_user = "alice@example.com"\n'
            f'source_password_env = "OLD_PW"\ndestination_user = "alice@example.com"\n'
            f'destination_password_env = "NEW_PW"\n'
        )
        env = {"OLD_PW": USERS["alice@example.com"], "NEW_PW": "a-wrong-one"}
        proc = ws.cli("migrate", "plan", str(accounts), "--json", check=False, env=env)
        (account,) = json.loads(proc.stdout)["accounts"]
        assert proc.returncode == 1 and "destination 127.0.0.1" in account["error"] and "refused" in account["error"]
        env["NEW_PW"] = NEW_USERS["alice@example.com"]
        proc = ws.cli("migrate", "plan", str(accounts), "--json", check=False, env=env)
        (account,) = json.loads(proc.stdout)["accounts"]
        assert proc.returncode == 1 and "raise the quota first" in account["blocking"][0]
    finally:
        old.stop()
        new.stop()


def test_a_bad_accounts_file_is_one_clear_line(local_ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "accounts.toml"
    bad.write_text('[source]\nhost = "a"\n[destination]\nhost = "b"\n[[accounts]]\nsource_user = "x"\n'
                   'destination_user = "y"\ndestination_password_file = "/p"\n')  # fmt: skip
    proc = local_ws.bare_cli("migrate", "plan", str(bad), check=False)
    assert proc.returncode == 2 and "give exactly one of source_password_file" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
