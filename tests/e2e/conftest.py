from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailvault.demo.seaweed import ADMIN, NO_ADMIN, SeaweedS3, make_identity
from tests.e2e import secret_watch
from tests.e2e.workspace import Workspace, unique_prefix

E2E_BUCKET = "mv-e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def restic_shim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every restic any e2e test starts (through mailvault or not) goes through the recording shim."""
    directory = tmp_path_factory.mktemp("restic-shim")
    shim = secret_watch.write_restic_shim(directory)
    before = os.environ["PATH"]
    os.environ["PATH"] = f"{directory}:{before}"
    yield shim
    os.environ["PATH"] = before


@pytest.fixture(autouse=True)
def no_secret_leaks(tmp_path: Path, restic_shim: Path) -> Iterator[secret_watch.Watch]:
    """The secret-leak harness around every end-to-end test: see secret_watch.py."""
    watch = secret_watch.Watch(tmp_path / "restic-argv.log")
    os.environ[secret_watch.ARGV_LOG_ENV] = str(watch.argv_log)
    secret_watch.CURRENT.append(watch)
    try:
        with secret_watch.ProcScanner() as scanner:
            yield watch
    finally:
        secret_watch.CURRENT.remove(watch)
        os.environ.pop(secret_watch.ARGV_LOG_ENV, None)
    leaks = watch.leaks(scanner.seen)
    assert not leaks, "secrets leaked: " + "; ".join(leaks)


@pytest.fixture(scope="session")
def s3server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One real SeaweedFS S3 on loopback for the whole session: an admin, a no-admin identity, and one
    that may read and write objects but not list a bucket."""
    server = SeaweedS3(
        tmp_path_factory.mktemp("seaweed"),
        [
            make_identity("admin", ADMIN),
            make_identity("backup-only", NO_ADMIN),
            make_identity("no-list", ("Read", "Write", "Tagging")),
        ],
    )
    with server:
        yield server


@pytest.fixture
def ws(tmp_path: Path, s3server: SeaweedS3) -> Workspace:
    """A fresh mail host backing up to its own prefix in the shared S3 bucket."""
    url = f"s3:{s3server.endpoint}/{E2E_BUCKET}/{unique_prefix()}"
    return Workspace(tmp_path, url, password="e2e-repo-pw-" + unique_prefix(), identity=s3server.admin)


@pytest.fixture
def local_ws(tmp_path: Path) -> Workspace:
    """A mail host backing up to a local-path repository."""
    return Workspace(tmp_path, str(tmp_path / "repo"), password="local-pw-" + unique_prefix(), identity=None)


@contextlib.contextmanager
def across_workers(name: str) -> Iterator[None]:
    """One pytest-xdist worker at a time (starting dockerd, building the drill image)."""
    import fcntl

    with open(f"/tmp/mailvault-tests-{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def docker_daemon(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A running Docker engine: the machine's own, or one started here (no bridge, no iptables). One
    started here is left running for the other test workers (and dies with the CI machine)."""
    import shutil
    import subprocess
    import time

    def answers() -> bool:
        return subprocess.run(["docker", "info"], capture_output=True).returncode == 0

    assert shutil.which("docker") and shutil.which("dockerd"), "docker.io is installed by scripts/setup"
    with across_workers("dockerd"):
        if not answers():
            log = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
            subprocess.Popen(
                ["dockerd", "--bridge=none", "--iptables=false", "--ip-masq=false"],
                stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while not answers():
                assert time.monotonic() < deadline, f"dockerd did not start: {log.read_text()[-2000:]}"
                time.sleep(0.5)
    return "docker"


@pytest.fixture(scope="session")
def drill_image(docker_daemon: str) -> str:
    """The restore-target image, built once (about two minutes) unless its recipe hash is already there."""
    import subprocess
    import sys

    with across_workers("drill-image"):
        done = subprocess.run(
            [sys.executable, "-m", "mailvault", "drill", "build-image", "--json"], capture_output=True, text=True
        )
    assert done.returncode == 0, done.stderr
    import json

    return str(json.loads(done.stdout)["image"])
