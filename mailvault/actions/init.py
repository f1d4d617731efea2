"""`mailvault init`: reach the storage, create the bucket if allowed, create the repository.

Never overwrites an existing repository or password file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mailvault.actions.engine import Engine, password_env
from mailvault.config.schema import Config, RepositorySection
from mailvault.errors import CommandFailed, RepositoryError
from mailvault.keys.secrets import generate_password
from mailvault.keys.sources import password_source
from mailvault.storage import s3
from mailvault.storage.location import local_path
from mailvault.storage.protection import LockMode, enable
from mailvault.tools import restic
from mailvault.tools.restic_output import classify_failure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitResult:
    repository: str
    bucket_created: bool
    password_generated: bool
    repository_created: bool
    dry_run: bool
    protection: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def init(
    config: Config,
    *,
    dry_run: bool = False,
    versioning: bool = False,
    lock_days: int | None = None,
    lock_mode: LockMode = "GOVERNANCE",
) -> InitResult:
    """Prepare the repository described by ``config``; return what was (or would be) done.

    ``versioning`` turns on bucket versioning; ``lock_days`` also S3 Object Lock with that default
    retention (a new bucket is created with Object Lock allowed). Both are for S3 repositories only.
    """
    rcfg = config.repository
    engine = Engine.open(config, need_password=False)
    if (versioning or lock_days) and engine.location is None:
        raise RepositoryError(
            "--versioning and --object-lock-days are for S3 repositories; this one is a local path",
            hint="protect a local repository with filesystem snapshots or an offline copy",
        )
    bucket_created, protection = False, ()  # type: tuple[bool, tuple[str, ...]]
    if engine.location is not None:
        bucket_created, protection = _bucket(engine, rcfg, dry_run=dry_run, versioning=versioning,
                                             lock_days=lock_days, lock_mode=lock_mode)  # fmt: skip
    password_generated = False
    if rcfg.password_file is not None and not rcfg.password_file.exists():
        if not dry_run:
            generate_password(rcfg.password_file)
            logger.info("generated a new repository password in %s (mode 0600)", rcfg.password_file)
        password_generated = True
    if dry_run:
        logger.info("dry run: would create the repository at %s", rcfg.url)
        return InitResult(rcfg.url, bucket_created, password_generated, True, True, protection)
    path = local_path(rcfg.url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine.env.update(password_env(password_source(rcfg)))
    try:
        engine.run(restic.init_argv(engine.repo), "restic init")
    except CommandFailed as exc:
        if classify_failure(exc.returncode, "\n".join(exc.stderr_tail)) == "already-initialized":
            engine.run(restic.cat_config_argv(engine.repo), "opening the existing repository")
            logger.info("repository %s already exists; left as it is", rcfg.url)
            return InitResult(rcfg.url, bucket_created, password_generated, False, False, protection)
        raise
    logger.info("created repository %s", rcfg.url)
    return InitResult(rcfg.url, bucket_created, password_generated, True, False, protection)


def _bucket(
    engine: Engine, rcfg: RepositorySection, *, dry_run: bool, versioning: bool, lock_days: int | None,
    lock_mode: LockMode,
) -> tuple[bool, tuple[str, ...]]:  # fmt: skip
    """The S3 side: the bucket (created when missing and allowed; with Object Lock when asked), then
    versioning or Object Lock. Return whether it was created and the protection switched on."""
    assert engine.location is not None
    engine.require_reachable()
    created = False
    if engine.probe_storage() == "missing":
        assert rcfg.s3 is not None and engine.creds is not None
        if not rcfg.s3.create_bucket:
            raise RepositoryError(
                f"bucket {engine.location.bucket} does not exist at {engine.location.endpoint}",
                hint="create it, or set repository.s3.create_bucket = true",
            )
        if not dry_run:
            s3.create_bucket(
                engine.location, engine.creds, timeout=rcfg.s3.connect_timeout, object_lock=bool(lock_days)
            )
            logger.info("created bucket %s at %s", engine.location.bucket, engine.location.endpoint)
        created = True
    if not (versioning or lock_days) or dry_run:
        return created, ()
    assert rcfg.s3 is not None and engine.creds is not None
    protection = enable(
        engine.location, engine.creds, timeout=rcfg.s3.connect_timeout, lock_days=lock_days, mode=lock_mode
    )
    return created, tuple(protection)
