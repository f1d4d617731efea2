"""Real alert receivers on loopback: an SMTP server (aiosmtpd, STARTTLS and AUTH) and an HTTP server
recording every request (ping URLs and the webhook)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailvault import netprobe
from tests.e2e.quiet_http import QuietHandler


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))  # fmt: skip
    return cert_path, key_path


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message
    tls: bool
    login: str | None


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.sink.received.append(Received(
            envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.original_content),
            session.ssl is not None, login,
        ))  # fmt: skip
        return "250 OK"


class SmtpSink:
    """aiosmtpd with STARTTLS (a self-signed certificate) and AUTH for one user."""

    def __init__(self, directory: Path, *, user: str = "mailvault", password: str = "") -> None:
        self.cert, key = self_signed(directory)
        self.user, self.password = user, password
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.received: list[Received] = []
        self.port = netprobe.free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=True,
            authenticator=self._authenticate, auth_require_tls=True,
        )  # fmt: skip

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, auth_data=data.login if ok else None)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    content_type: str


@dataclass
class HttpSink:
    """Records every request; answers ``status`` (500 to play a broken alert target)."""

    requests: list[Request] = field(default_factory=list)
    status: int = 200
    port: int = 0

    def __enter__(self) -> HttpSink:
        sink = self

        class Handler(QuietHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                sink.requests.append(Request(self.command, self.path, body, self.headers.get("Content-Type", "")))
                self.reply(sink.status, b"OK")

            do_GET = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]
