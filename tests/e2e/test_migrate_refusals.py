"""What a destination refuses: a certificate it presents that is not trusted (STARTTLS against a
Dovecot whose certificate a private CA signed: works with `ca_file`, one line naming account and
server without it), and a folder it will not create (named; every other folder still copied)."""

from __future__ import annotations

import json
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import NEW_NAMESPACE, old_provider, seed
from tests.e2e.accounts_file import write_accounts
from tests.e2e.policy_server import throwaway_tls
from tests.e2e.raw_imap import imap
from tests.e2e.tcp_cutter import TcpCutter
from tests.e2e.test_migrate import NEW_USERS, USERS
from tests.e2e.workspace import Workspace

USER = "alice@example.com"


def test_starttls_is_verified_against_the_ca_file(local_ws: Workspace, tmp_path: Path) -> None:
    ca_file, cert, key = throwaway_tls(tmp_path / "tls", "127.0.0.1")
    tls = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
    old = old_provider(tmp_path / "old", USERS)
    new = DovecotServer(tmp_path / "new", NEW_USERS, extra=NEW_NAMESPACE % "200M" + tls).start()
    try:
        seeded = seed(old, USER)
        old_pw, new_pw = local_ws.write_secret("o", USERS[USER]), local_ws.write_secret("n", NEW_USERS[USER])
        accounts = tmp_path / "accounts.toml"

        def write(ca: str) -> None:
            write_accounts(
                accounts, old.port, new.port, USER, old_pw, new_pw, destination=ca, destination_tls="starttls"
            )

        write("")  # the system's CAs do not know the private one
        refused = local_ws.cli("migrate", "run", str(accounts), check=False)
        assert refused.returncode == 1
        said = refused.stdout + refused.stderr
        assert f"{USER}: destination 127.0.0.1:{new.port}: its TLS certificate is not trusted" in said, said
        assert "reconnection" not in said, "an untrusted certificate is not retried"

        write(f'ca_file = "{ca_file}"')
        done = json.loads(local_ws.cli("migrate", "run", str(accounts), "--json").stdout)
        assert done["ok"] and done["accounts"][0]["copied"] == seeded.messages, done
    finally:
        old.stop()
        new.stop()


def test_a_folder_the_destination_will_not_create_is_named_and_the_rest_is_copied(
    local_ws: Workspace, tmp_path: Path
) -> None:
    from mailvault.demo.imap_servers import message, this_host
    from tests.e2e.raw_imap import imap

    old = old_provider(tmp_path / "old", USERS)
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        seeded = seed(old, USER)
        long_name = "N" * 255  # fine on the source's fs layout; too long for the destination's Maildir++
        client = imap(old, USER)
        client.create_folder(long_name)
        client.append(long_name, message(500))
        client.logout()
        old_pw, new_pw = local_ws.write_secret("o", USERS[USER]), local_ws.write_secret("n", NEW_USERS[USER])
        accounts = tmp_path / "accounts.toml"
        write_accounts(accounts, old.port, new.port, USER, old_pw, new_pw)
        proc = local_ws.cli("migrate", "run", str(accounts), "--no-verify", check=False)
        assert proc.returncode == 1
        assert f"FOLDER NOT COPIED {long_name}: {USER}: the destination refused to create folder" in proc.stdout
        assert f"copied {seeded.messages} messages" in proc.stdout, "every other folder was copied"
        again = json.loads(local_ws.cli("migrate", "run", str(accounts), "--exclude", "NNN*", "--json").stdout)
        assert again["ok"] and again["accounts"][0]["copied"] == 0, again
    finally:
        old.stop()
        new.stop()


def test_a_mailbox_over_quota_is_reported_and_a_rerun_after_raising_it_completes(
    local_ws: Workspace, tmp_path: Path
) -> None:
    from mailvault.demo.imap_servers import this_host

    old = old_provider(tmp_path / "old", USERS)
    new = this_host(tmp_path / "new", NEW_USERS, quota="4k")  # the source holds about 12 KiB
    try:
        seeded = seed(old, USER)
        old_pw, new_pw = local_ws.write_secret("o", USERS[USER]), local_ws.write_secret("n", NEW_USERS[USER])
        accounts = tmp_path / "accounts.toml"
        write_accounts(accounts, old.port, new.port, USER, old_pw, new_pw)
        full = local_ws.cli("migrate", "run", str(accounts), check=False)
        assert full.returncode == 1 and "REFUSED" in full.stdout and "Quota exceeded" in full.stdout, full.stdout
        new.stop()
        new.extra = NEW_NAMESPACE % "200M"  # the operator raises the quota
        new.start()
        done = json.loads(local_ws.cli("migrate", "run", str(accounts), "--json").stdout)
        assert done["ok"] and done["verify"][0]["missing"] == 0, done
        copied = sum(f["copied"] for f in done["accounts"][0]["folders"])
        assert 0 < copied < seeded.messages, "the second run copied only what the quota had refused"
    finally:
        old.stop()
        new.stop()


def test_a_destination_that_is_the_source_is_refused_by_every_command(local_ws: Workspace, tmp_path: Path) -> None:
    local_ws.write_config()
    old = old_provider(tmp_path / "old", USERS)
    try:
        seeded = seed(old, USER)
        pw = local_ws.write_secret("alice.old", USERS[USER])
        # The same server and account by another name ("localhost" reaches 127.0.0.1).
        same = write_accounts(tmp_path / "same.toml", old.port, old.port, USER, pw, pw)
        same.write_text(
            same.read_text().replace('[destination]\nhost = "127.0.0.1"', '[destination]\nhost = "localhost"')
        )
        for args in (["plan"], ["run"], ["sync"], ["verify"], ["rollback", "--plan"]):
            proc = local_ws.cli("migrate", *args, str(same), check=False)
            assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
            assert f"account {USER}: source and destination are the same account on the same server" in proc.stderr
            assert f"127.0.0.1:{old.port} and localhost:{old.port} both reach 127.0.0.1" in proc.stderr
        # Through another port (a proxy standing for a second listener or a NAT): found by looking.
        with TcpCutter(old.port, after_bytes=1 << 40, times=0) as proxy:
            other = write_accounts(tmp_path / "other.toml", old.port, proxy.port, USER, pw, pw)
            for args in (["plan", "--json"], ["run", "--json"], ["rollback", "--plan", "--json"]):
                proc = local_ws.cli("migrate", *args, str(other), check=False)
                assert proc.returncode != 0, (args, proc.stdout)
                assert "is the source's own mailbox" in proc.stdout + proc.stderr, (args, proc.stdout, proc.stderr)
        client = imap(old, USER)  # nothing was copied onto itself
        held = {name: client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] for name in seeded.folders}
        assert held == {name: len(bodies) for name, bodies in seeded.folders.items()}
    finally:
        old.stop()
