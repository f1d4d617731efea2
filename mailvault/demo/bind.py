"""Real BIND9 instances on free loopback ports (for the demo, the tests and the runbooks).

:class:`BindAuthority` serves one zone authoritatively and takes TSIG-signed RFC 2136 updates;
:class:`BindResolver` is a caching resolver that forwards the zone to it, so remaining TTLs count
down the way they do at an ISP's resolver.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mailvault import execute, netprobe

KEY_NAME = "mailvault-update"


def free_dns_port() -> int:
    """A loopback port free for both UDP and TCP."""
    return netprobe.free_port(udp_too=True)


@dataclass
class _Named:
    root: Path
    port: int = 0
    process: execute.Background | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _options(self, extra: str) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_dns_port()
        return (
            f'options {{\n  directory "{self.root}";\n  pid-file "{self.root}/named.pid";\n'
            f'  session-keyfile "{self.root}/session.key";\n  listen-on port {self.port} {{ 127.0.0.1; }};\n'
            "  listen-on-v6 { none; };\n  notify no;\n  dnssec-validation no;\n"
            f"{extra}}};\ncontrols {{ }};\n"
        )

    def _start(self, conf: str) -> None:
        path = self.root / "named.conf"
        path.write_text(conf)
        self.process = execute.Background(("named", "-g", "-4", "-n", "1", "-c", str(path)),
                                          log_path=self.root / "named.log")  # fmt: skip
        if netprobe.wait_listening(self.port, timeout=20, alive=self.process.alive, every=0.05):
            return
        raise RuntimeError(f"named did not start: {(self.root / 'named.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=10)
        self.process = None


@dataclass
class BindAuthority(_Named):
    """The primary for ``zone``, loaded from ``zone_text`` (an RFC 1035 master file), updatable with
    the TSIG key in :attr:`key_file` (BIND's key-file format)."""

    zone: str = "example.test"
    zone_text: str = ""

    @property
    def key_file(self) -> Path:
        return self.root / "tsig.key"

    def start(self) -> BindAuthority:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.key_file.exists():
            key = execute.run(("tsig-keygen", "-a", "hmac-sha256", KEY_NAME), what="tsig-keygen")
            self.key_file.write_text(key.stdout)
            self.key_file.chmod(0o600)
        zone_file = self.root / f"{self.zone}.zone"
        if not zone_file.exists():
            zone_file.write_text(self.zone_text)
        self._start(
            self._options("  recursion no;\n")
            + f'include "{self.key_file}";\n'
            + f'zone "{self.zone}" {{\n  type primary;\n  file "{zone_file}";\n'
            + f"  update-policy {{ grant {KEY_NAME} zonesub ANY; }};\n}};\n"
        )
        return self


@dataclass
class BindResolver(_Named):
    """A caching resolver that asks ``upstream`` (host:port) for ``zone`` and caches the answers."""

    zone: str = "example.test"
    upstream: str = ""

    def start(self) -> BindResolver:
        host, port = self.upstream.rsplit(":", 1)
        self._start(
            self._options("  recursion yes;\n  allow-query { 127.0.0.1; };\n  max-ncache-ttl 3600;\n")
            + f'zone "{self.zone}" {{\n  type forward;\n  forward only;\n  forwarders {{ {host} port {port}; }};\n}};\n'
        )
        return self

    def flush(self) -> None:
        """Forget the cache by restarting (``controls`` are off, so no rndc)."""
        self.stop()
        self.start()


def demo_zone(zone: str = "example.test", *, ttl: int = 3600, negative_ttl: int = 300) -> str:
    """A small mail domain: one MX on the old provider, SPF, DMARC, a DKIM selector."""
    return (
        f"$ORIGIN {zone}.\n$TTL {ttl}\n"
        f"@ IN SOA ns1 hostmaster 1 3600 600 86400 {negative_ttl}\n"
        "@ IN NS ns1\nns1 IN A 127.0.0.1\n"
        "@ IN MX 10 mx.old-provider\nmx.old-provider IN A 127.0.0.2\n"
        '@ IN TXT "v=spf1 ip4:127.0.0.2 -all"\n'
        '_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@' + zone + '"\n'
    )


def scratch_dir(prefix: str = "mv-bind-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
