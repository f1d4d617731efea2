"""Throwaway TLS certificates (a CA and one certificate it signed), and an MTA-STS policy host on
127.0.0.1:443 serving with one (a real TLS server; the test's config trusts the CA)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import across_workers
from tests.e2e.quiet_http import QuietHandler


def _certificate(
    subject: str,
    issuer: x509.Name | None,
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(subject))
        except ValueError:
            alt = x509.DNSName(subject)
        builder = builder.add_extension(x509.SubjectAlternativeName([alt]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def throwaway_tls(directory: Path, subject: str) -> tuple[Path, Path, Path]:
    """A CA and a certificate it signed for ``subject`` (a host name or an IP address), written to
    ``directory``: (CA file, certificate, key)."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("mailvault test CA", None, ca_key, ca_key, ca=True)
    leaf = _certificate(subject, ca.subject, key, ca_key, ca=False)
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, chain, key_file = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o644)  # the test servers' unprivileged processes read it
    return ca_file, chain, key_file


class PolicyHost:
    """Serves :attr:`policy` at /.well-known/mta-sts.txt for ``mta-sts.DOMAIN``; :attr:`ca_file` is the CA."""

    def __init__(self, domain: str, directory: Path) -> None:
        self.policy = ""
        self.ca_file, chain, key_file = throwaway_tls(directory, f"mta-sts.{domain}")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(chain, key_file)

    @contextmanager
    def serving(self) -> Iterator[PolicyHost]:
        """On 127.0.0.1:443 (the port is fixed by RFC 8461; one test worker at a time holds it)."""
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                ok = self.path == "/.well-known/mta-sts.txt"
                self.reply(200 if ok else 404, owner.policy.encode() if ok else b"not found", "text/plain")

        with across_workers("port-443"):
            server = ThreadingHTTPServer(("127.0.0.1", 443), Handler)
            server.socket = self.context.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                yield self
            finally:
                server.shutdown()
                server.server_close()
