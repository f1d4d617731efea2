"""A real OAuth2 token-introspection endpoint (RFC 7662) on loopback, for Dovecot's oauth2 passdb."""

from __future__ import annotations

import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from tests.e2e.quiet_http import QuietHandler


class Introspection:
    """Answers ``active: true`` with the username for the tokens in :attr:`tokens`, else ``active: false``."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # token -> username
        self.asked = 0
        owner = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                token = parse_qs(body).get("token", [""])[0]
                owner.asked += 1
                user = owner.tokens.get(token)
                data = json.dumps({"active": True, "username": user} if user else {"active": False}).encode()
                self.reply(200, data, "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def dovecot_extra(self, directory: Path) -> str:
        """Dovecot config that accepts XOAUTH2/OAUTHBEARER tokens checked against this endpoint."""
        conf = directory / "oauth2.conf.ext"
        directory.mkdir(parents=True, exist_ok=True)
        conf.write_text(
            f"introspection_url = http://127.0.0.1:{self.server.server_port}/introspect\nintrospection_mode = post\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        return (
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {conf}\n}}\n"
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
