"""Is the recovery kit current? Kept apart from the kit's cryptography so the nightly backup can ask cheaply."""

from __future__ import annotations

from pathlib import Path

from mailvault.config.schema import RepositorySection
from mailvault.keys.secrets import resolve
from mailvault.keys.sources import password_source, s3_credentials
from mailvault.kit.fingerprint import Freshness, freshness
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths


def current_secrets(repo: RepositorySection) -> list[str]:
    """The values a kit must hold to be current: URL, password, S3 key pairs."""
    values = [repo.url, resolve(password_source(repo))]
    split = repo.s3 is not None and repo.s3.prune is not None
    for deleting in (False, True) if split else (False,):  # without a prune pair, one pair serves both
        creds = s3_credentials(repo, deleting=deleting)
        if creds is not None:
            values += [creds.access_key_id, creds.secret_access_key]
    return values


def status(repo: RepositorySection, state_dir: Path) -> Freshness:
    """Whether the kit recorded in ``state_dir`` holds ``repo``'s current URL and secrets."""
    paths = StatePaths(state_dir)
    paths.ensure()
    return freshness(StateDB(paths.db), current_secrets(repo))
