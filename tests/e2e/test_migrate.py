"""`mailvault migrate` end to end between two real, unlike Dovecot servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import Seeded, old_provider, seed, this_host
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


def snapshot(server: DovecotServer, user: str) -> dict[str, list[tuple[bytes, tuple[bytes, ...], str]]]:
    """Every folder's messages as (bytes, sorted flags, INTERNALDATE in UTC), sorted."""
    from tests.e2e.raw_imap import imap

    client = imap(server, user)
    client.normalise_times = False
    found = {}
    for flags, _sep, name in client.list_folders():
        name = name if isinstance(name, str) else name.decode()
        if {b"\\Noselect", b"\\NonExistent"} & set(flags):
            continue
        selected = client.select_folder(name, readonly=True)
        rows = []
        if int(selected[b"EXISTS"]):
            for data in client.fetch(client.search(["ALL"]), ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]).values():
                flags = tuple(sorted(f for f in data[b"FLAGS"] if f != b"\\Recent"))
                rows.append((data[b"BODY[]"], flags, data[b"INTERNALDATE"].astimezone(UTC).isoformat()))
        found[name] = sorted(rows)
    client.logout()
    return found


MAPPED = {"INBOX": "INBOX", "Sent": "INBOX.Sent Messages", "Drafts": "INBOX.Drafts",
          "Trash": "INBOX.Deleted Messages", "Spam": "INBOX.Junk", "Archive/2025": "INBOX.Archive.2025",
          "Entw&APw-rfe": "INBOX.Entw&APw-rfe", "Kunden/A.B M&APw-ller": "INBOX.Kunden.A_B M&APw-ller",
          "Re&AOc-us/Banque": "INBOX.Re&AOc-us.Banque", "Empty": "INBOX.Empty"}  # fmt: skip


def assert_same_mail(move: Move) -> None:
    old, new = snapshot(move.old, "alice@example.com"), snapshot(move.new, "alice@example.com")
    for source, destination in MAPPED.items():
        assert new[destination] == old[source], f"{source} -> {destination}"


def run(move: Move, *args: str) -> dict:  # type: ignore[type-arg]
    proc = move.ws.cli("migrate", "run", str(move.accounts), "--json", *args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_run_copies_everything_exactly_and_a_rerun_copies_nothing(move: Move) -> None:
    report = run(move)
    assert report["ok"], report
    (account,) = report["accounts"]
    assert account["copied"] == move.seeded.messages and account["error"] is None
    (check,) = report["verify"]
    assert check["ok"] and check["missing"] == 0 and check["extra"] == 0
    assert_same_mail(move)  # bytes, flags and keywords, INTERNALDATE: all equal

    again = run(move)
    assert again["ok"] and again["accounts"][0]["copied"] == 0
    assert_same_mail(move)

    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    client = imap(move.old, "alice@example.com")  # an unchanged folder is skipped on one STATUS...
    client.append("Archive/2025", message(777, subject="arrived after the run"))
    client.logout()
    move.seeded.folders["Archive/2025"].append(b"")
    later = run(move)  # ...and a folder whose UIDNEXT moved is not
    assert later["ok"] and later["accounts"][0]["copied"] == 1, later
    assert_same_mail(move)


def test_a_lost_state_db_copies_nothing_twice(move: Move) -> None:
    run(move)
    (move.ws.state / "migrate.db").unlink()
    report = run(move)
    (account,) = report["accounts"]
    assert report["ok"] and account["copied"] == 0
    assert sum(f["found_on_destination"] for f in account["folders"]) == move.seeded.messages
    assert_same_mail(move)


def copied_so_far(move: Move) -> int:
    from tests.e2e.raw_imap import imap

    client = imap(move.new, "alice@example.com")
    total = 0
    for flags, _sep, name in client.list_folders():
        if b"\\Noselect" not in flags:
            total += int(client.folder_status(name, [b"MESSAGES"])[b"MESSAGES"])
    client.logout()
    return total


def test_killed_mid_run_then_run_again_gives_the_exact_set(move: Move) -> None:
    import signal
    import subprocess
    import sys
    import time

    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    client = imap(move.old, "alice@example.com")  # enough mail that the kill lands mid-copy
    for i in range(1000):
        client.append("Archive/2025", message(1000 + i, size=3000), flags=(b"\\Seen", b"$label2"))
    client.logout()
    move.seeded.folders["Archive/2025"].extend([b""] * 1000)
    landed = [0]
    for _ in range(2):  # kill -9 twice, each time once another 150 messages have landed
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailvault", "--config", str(move.ws.config_path), "migrate", "run",
             str(move.accounts), "--no-verify"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while copied_so_far(move) < landed[-1] + 150 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        landed.append(copied_so_far(move))
    landed.pop(0)
    assert 0 < landed[0] < landed[1] < move.seeded.messages, f"the kills landed mid-copy: {landed}"
    report = run(move)
    assert report["ok"], report["verify"]
    assert report["verify"][0]["extra"] == 0, "no duplicates"
    assert_same_mail(move)


def test_sync_carries_new_mail_and_flag_changes_and_costs_nothing_when_unchanged(move: Move) -> None:
    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    run(move)
    client = imap(move.old, "alice@example.com")  # the overlap: mail still arrives at the old server...
    client.append("INBOX", message(900, subject="late arrival"), flags=(b"$label3",))
    client.append("Archive/2025", message(901))
    client.select_folder("INBOX")
    first = sorted(client.search(["ALL"]))[0]
    client.add_flags([first], [b"\\Answered", b"$Forwarded"])  # ...and the user still works there
    client.remove_flags([sorted(client.search(["ALL"]))[1]], [b"\\Seen"])
    client.logout()
    move.seeded.folders["INBOX"].append(b"")
    move.seeded.folders["Archive/2025"].append(b"")

    proc = move.ws.cli("migrate", "sync", str(move.accounts), "--json")
    (first_sync,) = json.loads(proc.stdout)["accounts"]
    assert first_sync["copied"] == 2 and first_sync["flags_updated"] == 2, first_sync
    assert_same_mail(move)

    (again,) = json.loads(move.ws.cli("migrate", "sync", str(move.accounts), "--json").stdout)["accounts"]
    assert again["copied"] == again["flags_updated"] == 0 and again["unchanged_folders"] == len(again["folders"])
    assert again["seconds"] < 2.0, "an unchanged account: one STATUS a folder"


def test_rollback_copies_only_what_arrived_on_the_new_server_back_where_it_belongs(move: Move) -> None:
    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    run(move)
    client = imap(move.new, "alice@example.com")  # after the cutover, mail lands on the new server
    client.append("INBOX", message(950, subject="after cutover"), flags=(b"\\Seen",))
    client.append("INBOX.Sent Messages", message(951, subject="sent from the new server"))
    client.append("INBOX.Kunden.A_B M&APw-ller", message(952))
    client.logout()

    plan = json.loads(move.ws.cli("migrate", "rollback", str(move.accounts), "--plan", "--json").stdout)
    (account,) = plan["accounts"]
    would = {f["source"]: f["pending"] for f in account["folders"] if f["pending"]}
    assert would == {"INBOX": 1, "INBOX.Sent Messages": 1, "INBOX.Kunden.A_B Müller": 1}, would

    done = json.loads(move.ws.cli("migrate", "rollback", str(move.accounts), "--json").stdout)
    assert done["ok"] and done["accounts"][0]["copied"] == 3
    old = snapshot(move.old, "alice@example.com")
    subjects = {name: [b"after cutover" in m[0] or b"sent from the new" in m[0] or b"message 952" in m[0]
                       for m in msgs].count(True) for name, msgs in old.items()}  # fmt: skip
    assert (subjects["INBOX"], subjects["Sent"], subjects["Kunden/A.B M&APw-ller"]) == (1, 1, 1)
    assert len(old["INBOX"]) == len(move.seeded.folders["INBOX"]) + 1, "nothing that came from the old server twice"

    again = json.loads(move.ws.cli("migrate", "rollback", str(move.accounts), "--json").stdout)
    assert again["accounts"][0]["copied"] == 0


def test_a_25_mb_message_and_a_destination_that_vanishes_mid_run(move: Move) -> None:
    """The destination goes down mid-copy: the run says so, naming the account, loses nothing it
    copied; once the server is back, a re-run completes the exact set."""
    import subprocess
    import sys
    import time

    from mailvault.demo.imap_servers import message
    from tests.e2e.raw_imap import imap

    client = imap(move.old, "alice@example.com")
    client.append("INBOX", message(7000, subject="the big one", size=25 * 2**20), flags=(b"\\Seen", b"$label5"))
    for i in range(600):
        client.append("Archive/2025", message(7100 + i, size=2000))
    client.logout()
    move.seeded.folders["INBOX"].append(b"")
    move.seeded.folders["Archive/2025"].extend([b""] * 600)

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailvault", "--config", str(move.ws.config_path), "migrate", "run",
         str(move.accounts), "--json", "--max-bytes-per-second", "2000000"],  # slow enough to be caught mid-run
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while copied_so_far(move) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    move.new.stop()  # the server disappears
    out, _ = proc.communicate(timeout=300)
    report = json.loads(out)
    assert proc.returncode == 1 and not report["ok"]
    # the copy or, if the copy was through by then, the verify that ends the run says who is affected
    errors = [report["accounts"][0]["error"], *(v["error"] for v in report["verify"])]
    assert any(e and "alice@example.com" in e and "cannot be reached" in e for e in errors), errors

    move.new.start()  # back, on the same port
    again = run(move)
    assert again["ok"] and again["verify"][0]["extra"] == 0 and again["verify"][0]["missing"] == 0
    assert_same_mail(move)


def test_dry_run_counts_and_writes_nothing(move: Move) -> None:
    from tests.e2e.raw_imap import imap

    report = run(move, "--dry-run")
    (account,) = report["accounts"]
    assert account["dry_run"] and account["copied"] == 0
    assert sum(f["pending"] for f in account["folders"]) == move.seeded.messages
    client = imap(move.new, "alice@example.com")
    assert not client.folder_exists("INBOX.Archive.2025"), "no folder created"
    assert int(client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]) == 0
    client.logout()
    assert not (move.ws.state / "migrate.db").exists() or run(move)["accounts"][0]["copied"] == move.seeded.messages
