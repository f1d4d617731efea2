"""XOAUTH2 with a token command, against a Dovecot whose oauth2 passdb asks a real introspection
endpoint: the token is obtained by running the command, sent only in the SASL exchange, and a
refused token is one clear line that names the account and never shows the token."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import NEW_NAMESPACE, old_provider, seed
from tests.e2e.accounts_file import write_accounts
from tests.e2e.oauth2_server import Introspection
from tests.e2e.test_migrate import USERS
from tests.e2e.workspace import Workspace

USER = "alice@example.com"


def test_xoauth2_with_a_token_command_and_a_refused_token(local_ws: Workspace, tmp_path: Path) -> None:
    idp = Introspection()
    good, stale = "ya29." + secrets.token_urlsafe(24), "ya29." + secrets.token_urlsafe(24)
    idp.tokens[good] = USER
    old = old_provider(tmp_path / "old", USERS)
    new = DovecotServer(
        tmp_path / "new",
        {USER: secrets.token_urlsafe(16)},
        extra=NEW_NAMESPACE % "200M" + idp.dovecot_extra(tmp_path / "idp"),
    ).start()
    try:
        seeded = seed(old, USER)
        token_file = local_ws.write_secret("alice.token", good)
        local_ws.write_secret("alice.stale", stale)
        old_pw = local_ws.write_secret("alice.old", USERS[USER])
        accounts = tmp_path / "accounts.toml"

        def write(token: Path) -> None:
            write_accounts(
                accounts,
                old.port,
                new.port,
                USER,
                old_pw,
                None,
                destination='auth = "xoauth2"',
                destination_login=f'destination_oauth_token_command = "cat {token}"',
            )

        write(tmp_path / "secrets" / "alice.stale")
        refused = local_ws.cli("migrate", "run", str(accounts), check=False)
        assert refused.returncode == 1
        assert f"login as {USER} refused (xoauth2)" in refused.stdout + refused.stderr
        assert stale not in refused.stdout + refused.stderr

        write(token_file)
        ran = local_ws.cli("migrate", "run", str(accounts), "--json", check=False)
        done = json.loads(ran.stdout)
        if ran.returncode != 0 or not done["ok"]:  # a rare failure under load: everything, untruncated
            logs = [(tmp_path / side / "dovecot.log").read_text()[-3000:] for side in ("old", "new")]
            pytest.fail(json.dumps({"refused run": refused.stdout + refused.stderr, "run": done,
                                    "stderr": ran.stderr, "logs": logs}, indent=1), pytrace=False)  # fmt: skip
        assert done["accounts"][0]["copied"] == seeded.messages, done
        assert idp.asked >= 2, "Dovecot asked the introspection endpoint"
    finally:
        old.stop()
        new.stop()
        idp.close()
