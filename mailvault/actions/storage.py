"""`mailvault storage check`: is the offsite copy safe from a compromised mail host?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailvault.actions.engine import Engine
from mailvault.config.schema import Config
from mailvault.errors import RepositoryError
from mailvault.storage.protection import Protection, inspect


@dataclass(frozen=True)
class StorageReport:
    repository: str
    protection: Protection
    separate_prune_credentials: bool
    findings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            **self.protection.as_dict(),
            "separate_prune_credentials": self.separate_prune_credentials,
            "findings": self.findings,
        }


def check(config: Config) -> StorageReport:
    """Report versioning, Object Lock and retention on the bucket, and how deletion rights are split."""
    engine = Engine.open(config, need_password=False)
    if engine.location is None or engine.creds is None:
        raise RepositoryError(
            f"{config.repository.url} is a local path: storage check inspects S3 buckets",
            hint="protect a local repository with filesystem snapshots or an offline copy",
        )
    engine.require_reachable()
    assert config.repository.s3 is not None
    protection = inspect(engine.location, engine.creds, timeout=config.repository.s3.connect_timeout)
    separate = config.repository.s3.prune is not None
    findings = list(protection.findings)
    if not separate:
        findings.append(
            "the nightly backup uses credentials that may delete: set [repository.s3.prune] and take the delete"
            " right from the nightly ones (docs/storage-policies.md)"
        )
    return StorageReport(config.repository.url, protection, separate, findings)
