"""Where the repository's secrets come from, by the config's sections, and their values for this run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailvault.keys.secrets import SecretSource, resolve
from mailvault.storage.credentials import S3Credentials

if TYPE_CHECKING:
    from mailvault.config.schema import RepositorySection, S3KeysSection


def password_source(repo: RepositorySection) -> SecretSource:
    return SecretSource.from_section(repo, "password", "repository.password")


def s3_source(cfg: S3KeysSection, stem: str, *, section: str = "repository.s3") -> SecretSource:
    """Where the S3 secret ``stem`` ("access_key_id" or "secret_access_key") comes from."""
    return SecretSource.from_section(cfg, stem, f"{section}.{stem}")


def s3_credentials(repo: RepositorySection, *, deleting: bool = False) -> S3Credentials | None:
    """The S3 credentials to use; with ``deleting``, the [repository.s3.prune] pair when there is one."""
    cfg = repo.s3
    if cfg is None:
        return None
    keys: S3KeysSection = cfg
    section = "repository.s3"
    if deleting and cfg.prune is not None:
        keys, section = cfg.prune, "repository.s3.prune"
    key_id, secret = (
        resolve(s3_source(keys, stem, section=section)) for stem in ("access_key_id", "secret_access_key")
    )
    return S3Credentials(key_id, secret, cfg.region)
