"""`mailvault migrate` from a provider that answers as a broken or malicious server could (a scripted
IMAP server on loopback, tests/e2e/hostile_imap.py), into a real Dovecot. Each fault gives a clear
error or a skipped and reported message; nothing hangs; nothing is written outside the destination
mailbox."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import this_host
from tests.e2e.hostile_imap import HostileImap, Mailbox, message
from tests.e2e.raw_imap import imap
from tests.e2e.test_migrate import NEW_USERS
from tests.e2e.workspace import Workspace

USER = "alice@example.com"


def _accounts(ws: Workspace, tmp_path: Path, port: int, new: DovecotServer, *, timeout: int = 20) -> Path:
    source_pw = ws.write_secret("hostile.pw", "anything-goes")
    new_pw = ws.write_secret("alice.new", NEW_USERS[USER])
    path = tmp_path / "accounts.toml"
    path.write_text(
        f'[source]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\ntimeout = {timeout}\n\n'
        f'[destination]\nhost = "127.0.0.1"\nport = {new.port}\ntls = "none"\n\n'
        f'[[accounts]]\nsource_user = "{USER}"\nsource_password_file = "{source_pw}"\n'
        f'destination_user = "{USER}"\ndestination_password_file = "{new_pw}"\n'
    )
    return path


def _run(ws: Workspace, accounts: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    proc = ws.cli("migrate", "run", str(accounts), "--state-dir", str(ws.root / "migrate-state"), *args,
                  check=False, timeout=180)  # fmt: skip
    return proc, time.monotonic() - began


def _outside(new: DovecotServer) -> list[Path]:
    """Files under the destination's mail root that are not in the user's own mailbox."""
    home = new.home(USER).resolve()
    return [p for p in (new.root / "mail").rglob("*") if p.is_file() and home not in p.resolve().parents]


def test_folder_names_a_server_could_read_as_paths_are_renamed_and_stay_in_the_mailbox(
    local_ws: Workspace, tmp_path: Path
) -> None:
    local_ws.write_config()
    new = this_host(tmp_path / "new", NEW_USERS)
    boxes = [Mailbox(name, [message(i)]) for i, name in enumerate(
        [b"INBOX", b"..", b"../../../etc", b"a/./b", b"bad\x00name", b"&Jjo", b"Caf&AOk-"], start=1)]  # fmt: skip
    try:
        with HostileImap("names", boxes) as server:
            accounts = _accounts(local_ws, tmp_path, server.port, new)
            plan = json.loads(local_ws.cli("migrate", "plan", str(accounts), "--json", check=False).stdout)
            proc, _ = _run(local_ws, accounts, "--json")
        assert proc.returncode == 0, proc.stdout
        assert _outside(new) == []
        client = imap(new, USER)
        names = {name.decode() for _flags, _sep, name in client.list_folders()}
        # '..' and '.' are no folder names, NUL and '/' are not kept; each is renamed, not merged
        assert {
            "INBOX.__",
            "INBOX.__.__.__.etc",
            "INBOX.a._.b",
            "INBOX.bad_name",
            "INBOX.&-Jjo",
            "INBOX.Caf&AOk-",
        } <= names
        renamed = ["INBOX.__", "INBOX.__.__.__.etc", "INBOX.a._.b", "INBOX.bad_name", "INBOX.&-Jjo", "INBOX.Caf&AOk-"]
        assert [client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] for name in renamed] == [1] * 6
        why = {f["source"]: f["why"] for f in plan["accounts"][0]["folders"]}
        assert why[".."] == "renamed: '..' is no folder name", why
        assert why["bad\x00name"] == "renamed: a slash or control character is not kept", why
    finally:
        new.stop()


def test_a_literal_larger_than_announced_is_one_clear_error_and_nothing_hangs(
    local_ws: Workspace, tmp_path: Path
) -> None:
    local_ws.write_config()
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        with HostileImap("overrun", [Mailbox(b"INBOX", [message(i) for i in range(1, 4)])]) as server:
            proc, took = _run(local_ws, _accounts(local_ws, tmp_path, server.port, new, timeout=5))
        assert proc.returncode not in (0, 3) and "Traceback" not in proc.stderr, proc.stderr
        errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ERROR" in line or "Error:" in line]
        assert errors and all(USER in line for line in errors), (proc.stdout, proc.stderr)
        print("\n".join(errors))
        assert took < 150
        assert _outside(new) == []
    finally:
        new.stop()


def test_a_message_that_changes_size_between_fetches_is_skipped_and_reported(
    local_ws: Workspace, tmp_path: Path
) -> None:
    local_ws.write_config()
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        with HostileImap("resize", [Mailbox(b"INBOX", [message(i) for i in range(1, 4)])]) as server:
            accounts = _accounts(local_ws, tmp_path, server.port, new)
            proc, _ = _run(local_ws, accounts, "--json")
            again, _ = _run(local_ws, accounts, "--json")
        assert "Traceback" not in proc.stderr + again.stderr
        assert "the source announced" in proc.stderr and "and sent" in proc.stderr, proc.stderr
        inbox = json.loads(proc.stdout)["accounts"][0]["folders"]
        skipped = [s for f in inbox for s in f.get("skipped", [])]
        assert len(skipped) == 3, inbox
        client = imap(new, USER)
        assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0  # nothing copied, twice or once
    finally:
        new.stop()


def test_a_server_that_stalls_mid_literal_is_given_up_on_within_its_timeout(
    local_ws: Workspace, tmp_path: Path
) -> None:
    local_ws.write_config()
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        with HostileImap("stall", [Mailbox(b"INBOX", [message(i) for i in range(1, 4)])]) as server:
            proc, took = _run(local_ws, _accounts(local_ws, tmp_path, server.port, new, timeout=2))
        assert proc.returncode not in (0, 3) and "Traceback" not in proc.stderr, proc.stderr
        assert any(line.startswith("Error:") or "ERROR" in line for line in (proc.stderr + proc.stdout).splitlines())
        assert took < 120, took
    finally:
        new.stop()
