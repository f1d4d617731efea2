"""Which engine moves an account, how each places folders, and what the doveadm engine tells."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailvault.errors import ConfigError
from mailvault.imap.folders import ListedFolder, Mapping, Side
from mailvault.migrate import engines
from mailvault.migrate.accounts import AccountsFile
from mailvault.migrate.copy import Filters
from mailvault.migrate.dsync_engine import notes, unsupported
from mailvault.migrate.plan import DSYNC_SAFETY
from mailvault.migrate.state import Copied, MigrationState


def test_an_account_keeps_the_engine_that_moved_it(tmp_path: Path) -> None:
    state = MigrationState(tmp_path / "migrate.db")
    assert engines.choose(state, "alice", None) == "imap"
    assert engines.choose(state, "alice", "doveadm") == "doveadm"
    state.set_engine("alice", "doveadm")
    assert engines.choose(state, "alice", None) == "doveadm"
    with pytest.raises(ConfigError, match="was moved with --engine doveadm"):
        engines.choose(state, "alice", "imap")


def test_copies_made_before_engines_were_recorded_count_as_imap(tmp_path: Path) -> None:
    state = MigrationState(tmp_path / "migrate.db")
    state.record("bob", "INBOX", 1, [Copied(1, "INBOX", 1, "m:<a@b>|10|2024-01-01T00:00:00+00:00", 10)])
    assert engines.recorded(state, "bob") == "imap"
    with pytest.raises(ConfigError):
        engines.choose(state, "bob", "doveadm")


def test_an_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not an engine"):
        engines.checked("rsync")


def test_the_engines_place_folders_differently() -> None:
    old = Side("/", "", (ListedFolder("INBOX"), ListedFolder("Sent", "/", frozenset({"\\Sent"}))))
    new = Side(
        ".", "INBOX.", (ListedFolder("INBOX", "."), ListedFolder("INBOX.Sent Messages", ".", frozenset({"\\Sent"})))
    )
    by_role = {m.source: m.destination for m in engines.mapper("imap", None)(old, new).mappings}
    by_path = {m.source: m.destination for m in engines.mapper("doveadm", None)(old, new).mappings}
    assert by_role["Sent"] == "INBOX.Sent Messages" and by_path["Sent"] == "INBOX.Sent"


def test_what_clients_see_and_why_nothing_is_deleted() -> None:
    assert "download every message again" in engines.CLIENTS_SEE["imap"]
    assert "UIDVALIDITY and UIDs kept" in engines.CLIENTS_SEE["doveadm"]
    assert "sync -1 -R" in DSYNC_SAFETY and "not doveadm backup" in DSYNC_SAFETY
    assert "only enters destination folders that hold no mail" in DSYNC_SAFETY


def test_notes_name_role_folders_dsync_cannot_place_and_folders_that_hold_mail() -> None:
    destination = Side(
        ".", "INBOX.", (ListedFolder("INBOX", "."), ListedFolder("INBOX.Sent Messages", ".", frozenset({"\\Sent"})))
    )
    sent = Mapping("Sent", "INBOX.Sent", "same path", "\\Sent")
    inbox = Mapping("INBOX", "INBOX", "INBOX", None, True)
    told = notes([sent], [inbox], destination)
    assert told == [
        "Sent (\\Sent) lands in INBOX.Sent, not in the destination's \\Sent folder INBOX.Sent Messages:"
        " dsync places folders by name",
        "INBOX already holds mail: dsync leaves it alone; what is missing there is added by the imap engine,"
        " with new UIDs",
    ]


def test_what_the_doveadm_engine_cannot_do() -> None:
    spec = AccountsFile.from_data({
        "source": {"host": "imap.gmail.com", "auth": "xoauth2"}, "destination": {"host": "127.0.0.1"},
        "accounts": [{"source_user": "a", "destination_user": "a", "source_oauth_token_command": "tok",
                      "destination_password_env": "PW"}],
        "options": {"preset": "gmail"},
    })  # fmt: skip
    found = unsupported(spec, spec.accounts[0], Filters(max_bytes_per_second=1000.0))
    assert [f.split(" ")[0:2] for f in found] == [["the", "source"], ["preset", "gmail"], ["--since", "and"]]
