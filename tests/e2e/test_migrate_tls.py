"""TLS to the IMAP servers is verified by default: STARTTLS against a Dovecot whose certificate comes
from a private CA works with `ca_file` and fails, in one line naming account and server, without it."""

from __future__ import annotations

import json
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import NEW_NAMESPACE, old_provider, seed
from tests.e2e.policy_server import throwaway_tls
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
            accounts.write_text(
                f'[source]\nhost = "127.0.0.1"\nport = {old.port}\ntls = "none"\n\n'
                f'[destination]\nhost = "127.0.0.1"\nport = {new.port}\ntls = "starttls"\n{ca}\n'
                f'[[accounts]]\nsource_user = "{USER}"\nsource_password_file = "{old_pw}"\n'
                f'destination_user = "{USER}"\ndestination_password_file = "{new_pw}"\n'
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
