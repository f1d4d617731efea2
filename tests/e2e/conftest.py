from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailvault.demo.seaweed import ADMIN, NO_ADMIN, SeaweedS3, make_identity
from tests.e2e.workspace import Workspace, unique_prefix

E2E_BUCKET = "mv-e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def s3server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """One real SeaweedFS S3 on loopback for the whole session: an admin and a no-admin identity."""
    server = SeaweedS3(
        tmp_path_factory.mktemp("seaweed"),
        [make_identity("admin", ADMIN), make_identity("backup-only", NO_ADMIN)],
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
