"""A real Dovecot on a free loopback port, from its own config in a temp dir (for the demo, the tests
and the benchmarks)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mailvault import execute, netprobe

NOBODY = 65534


@dataclass
class DovecotServer:
    root: Path
    users: dict[str, str]  # login -> password
    port: int = 0
    mail_location: str = "maildir:~/Maildir"
    extra: str = ""  # more config: namespaces, special-use folders, plugins
    homes: dict[str, Path] | None = None  # login -> home, where the layout is not mail/<login>/
    serving: bool = True  # False: `protocols = none`, no client can log in; doveadm still works
    process: execute.Background | None = field(default=None, repr=False)

    def home(self, user: str) -> Path:
        """The user's maildir (its parent is the user's home)."""
        if self.homes is not None:
            return self.homes[user] / "Maildir"
        return self.root / "mail" / user / "Maildir"

    def start(self) -> DovecotServer:
        """Start on a free port (or, when restarting a stopped server, on the port it had)."""
        self.port = self.port or netprobe.free_port()
        # Dovecot's sockets live in base_dir: a UNIX socket path holds at most 107 bytes, and pytest's
        # temp dirs (with an xdist worker's name in them) come close, so the run dir is short.
        run = Path(tempfile.mkdtemp(prefix="mv-dv-", dir="/tmp"))
        self.run_dir = run
        for d in (self.root, run, self.root / "mail"):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(0o755)
        parent = self.root
        while parent != parent.parent:  # the mail user needs +x on every parent
            os.chmod(parent, os.stat(parent).st_mode | 0o001)
            parent = parent.parent
        passwd = self.root / "users"
        passwd.write_text(
            "".join(f"{u}:{{PLAIN}}{p}:{NOBODY}:{NOBODY}::{self.home(u).parent}::\n" for u, p in self.users.items())
        )
        conf = self.root / "dovecot.conf"
        closed = "" if self.serving else "protocols = none\n"
        conf.write_text(
            f"protocols = imap\nlisten = 127.0.0.1\nbase_dir = {run}/base\nstate_dir = {run}/state\n"
            f"log_path = {self.root}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n"
            f"auth_mechanisms = plain login\nmail_location = {self.mail_location}\n"
            f"passdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n"
            "service auth {\n  user = root\n}\n"
            f"service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {self.port}\n  }}\n"
            "  inet_listener imaps {\n    port = 0\n  }\n}\n" + self.extra + closed
        )
        for user in self.users:
            self.home(user).parent.mkdir(parents=True, exist_ok=True)
            os.chown(self.home(user).parent, NOBODY, NOBODY)
        # in the foreground, as mailvault's child: it dies with mailvault, however mailvault ends
        self.process = execute.Background(("dovecot", "-F", "-c", str(conf)), log_path=self.root / "dovecot.out")
        if self.serving and netprobe.wait_listening(self.port, timeout=30, alive=self.process.alive):
            return self
        if not self.serving and self._auth_ready(run / "base" / "auth-userdb"):
            return self
        raise AssertionError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}")

    def _auth_ready(self, socket: Path) -> bool:
        """Closed to clients: ready once the auth process listens for doveadm's userdb lookups."""
        deadline = time.monotonic() + 30
        while self.process is not None and self.process.alive() and time.monotonic() < deadline:
            if socket.is_socket():
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=10)
            self.process = None
        shutil.rmtree(self.run_dir, ignore_errors=True)
