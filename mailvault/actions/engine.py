"""A ready-to-use restic for one config: secrets in the child's environment, preflight, failure translation.

Everything that runs restic goes through :class:`Engine`, so the password and
S3 keys reach restic only by environment (or a password file/command), and a
failure becomes one operator-facing error naming the repository.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mailvault import execute, netprobe
from mailvault.config.schema import Config
from mailvault.errors import (
    CommandFailed,
    PasswordRefused,
    RepositoryError,
    RepositoryLocked,
    StorageError,
    ToolError,
)
from mailvault.keys.secrets import SecretSource, resolve
from mailvault.keys.sources import password_source, s3_credentials
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location, parse_s3_url
from mailvault.storage.reach import require_reachable
from mailvault.tools import restic
from mailvault.tools.restic_output import Lock, classify_failure, parse_lock, parse_version

logger = logging.getLogger(__name__)


def password_env(source: SecretSource) -> dict[str, str]:
    """How restic gets the password: a file or command it reads itself, else its environment."""
    path = source.file_path()
    if path is not None:
        resolve(source)  # proves it is readable and registers it for masking
        return {"RESTIC_PASSWORD_FILE": str(path)}
    if source.command is not None:
        # asked once per run (a `pass` or vault lookup may prompt or log): every restic child of the
        # run reads the answer from this process's memory, never from a disk or its own command
        return {"RESTIC_PASSWORD_FILE": str(execute.held_memory_file("mailvault-password", resolve(source)))}
    return {"RESTIC_PASSWORD": resolve(source)}


@dataclass
class Engine:
    """restic bound to one repository and its secrets."""

    config: Config
    repo: restic.ResticRepo
    env: dict[str, str] = field(default_factory=dict)
    creds: S3Credentials | None = None
    location: S3Location | None = None
    version: tuple[int, int, int] = (0, 0, 0)
    creds_section: str = "repository.s3"

    @classmethod
    def open(cls, config: Config, *, need_password: bool = True, deleting: bool = False) -> Engine:
        """Check restic, resolve the secrets. Does not touch the repository yet.

        ``deleting``: this command removes data (prune, key removal), so it uses the separate
        delete-capable S3 credentials when the config has them.
        """
        rcfg = config.repository
        repo = restic.ResticRepo(config.restic.binary, rcfg.url, config.restic.cache_dir)
        engine = cls(config=config, repo=repo, env={"RESTIC_PROGRESS_FPS": "2"})
        engine.version = check_restic(config.restic.binary)
        if rcfg.is_s3:
            engine.location = parse_s3_url(rcfg.url)
            engine.creds = s3_credentials(rcfg, deleting=deleting)
            if deleting and rcfg.s3 is not None and rcfg.s3.prune is not None:
                engine.creds_section = "repository.s3.prune"
            assert engine.creds is not None
            engine.env.update(engine.creds.restic_env())
        if need_password:
            engine.env.update(password_env(password_source(rcfg)))
        return engine

    def with_password_file(self, path: Path) -> Engine:
        """The same engine opening the repository with the password in ``path`` (key rotation)."""
        env = {k: v for k, v in self.env.items() if not k.startswith("RESTIC_PASSWORD")}
        return replace(self, env={**env, "RESTIC_PASSWORD_FILE": str(path)})

    def probe_storage(self) -> str:
        """For S3, prove the endpoint and credentials now (boto3) and return "exists" or "missing"."""
        if self.location is None or self.creds is None:
            return "exists"
        from mailvault.storage import s3  # boto3 is heavy to import; only init and storage checks need it

        assert self.config.repository.s3 is not None
        return s3.probe_bucket(self.location, self.creds, timeout=self.config.repository.s3.connect_timeout)

    def require_reachable(self) -> None:
        """For S3, fail within the connect timeout when the endpoint does not answer.

        Credentials and the bucket are then proven by restic itself: its refusals are
        translated into the same operator messages (see :meth:`translate`).
        """
        if self.location is not None:
            assert self.config.repository.s3 is not None
            require_reachable(self.location, timeout=self.config.repository.s3.connect_timeout)

    def run(self, argv: tuple[str, ...], what: str, *, timeout: float | None = None) -> execute.Completed:
        """Run a restic command; turn a failure into a RepositoryError that says what to do."""
        try:
            return execute.run(argv, env=self.env, what=what, timeout=timeout)
        except CommandFailed as exc:
            raise self.translate(exc, what) from exc

    def stream(
        self,
        argv: tuple[str, ...],
        on_stdout: Callable[[str], None],
        on_stderr: Callable[[str], None],
        *,
        spool: Path | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        return execute.stream(argv, env=self.env, on_stdout=on_stdout, on_stderr=on_stderr, spool=spool, cancel=cancel)

    def translate(self, exc: CommandFailed, what: str) -> Exception:
        kind = classify_failure(exc.returncode, "\n".join(exc.stderr_tail))
        url = self.config.repository.url
        where = self.location.endpoint if self.location else url
        if kind == "s3-credentials":
            return StorageError(
                f"{what}: S3 endpoint {where} refused the credentials",
                hint=f"check the access key id and secret in [{self.creds_section}]",
            )
        if kind == "s3-no-bucket" and self.location is not None:
            return RepositoryError(
                f"{what}: bucket {self.location.bucket} does not exist at {where}",
                hint="run `mailvault init` first",
            )
        if kind == "s3-denied":
            bucket = self.location.bucket if self.location else "the bucket"
            return StorageError(
                f"{what}: S3 endpoint {where} refused these credentials access to {bucket}",
                hint=f"check the key id and secret in [{self.creds_section}], and that they may read, write and list",
            )
        if kind == "wrong-password":
            return PasswordRefused(
                f"{what}: the repository password was refused by {url}",
                hint="check repository.password_* in the config (or restore the key file from your recovery kit)",
            )
        if kind == "no-repository":
            # With a region set, S3 servers may answer "no such key" for a missing bucket too.
            also = f" (or bucket {self.location.bucket} does not exist)" if self.location else ""
            return RepositoryError(f"{what}: there is no repository at {url}{also}", hint="run `mailvault init` first")
        if kind == "locked":
            return RepositoryLocked(
                f"{what}: the repository {url} is locked by another process",
                hint="wait for it to finish; `mailvault backup` clears stale locks left by dead processes",
            )
        return exc

    # -- locks ---------------------------------------------------------------------------

    def locks(self) -> list[Lock]:
        ids = self.run(restic.list_locks_argv(self.repo), "restic list locks").stdout.split()
        found = []
        for lock_id in ids:
            try:
                # restic 0.14 retries a lock that vanished meanwhile for ~45 s: give up sooner.
                text = self.run(restic.cat_lock_argv(self.repo, lock_id), "restic cat lock", timeout=15).stdout
            except (RepositoryError, CommandFailed, ToolError):
                continue  # removed while we looked
            found.append(parse_lock(lock_id, text))
        return found

    def clear_stale_locks(self) -> list[Lock]:
        """Remove locks left on this host by processes that no longer exist; live ones are respected."""
        stale = stale_locks(self.locks(), netprobe.hostname(), execute.pid_alive)
        if stale:
            self.run(restic.unlock_argv(self.repo), "restic unlock")
            for lk in stale:
                logger.warning(
                    "cleared a stale repository lock %s left by dead process %d (since %s)",
                    lk.id[:8],
                    lk.pid,
                    lk.time.isoformat(timespec="seconds"),
                )
        return stale


def stale_locks(locks: list[Lock], host: str, alive: Callable[[int], bool]) -> list[Lock]:
    """Locks taken on ``host`` by processes that no longer exist. Another host's locks are never judged here."""
    return [lk for lk in locks if lk.hostname == host and not alive(lk.pid)]


def check_restic(binary: str) -> tuple[int, int, int]:
    """Return restic's version; raise ToolError when it is missing or older than the minimum."""
    done = execute.run(restic.version_argv(binary), what="restic version", check=False, timeout=30)
    version = parse_version(done.stdout)
    need = ".".join(map(str, restic.MIN_VERSION))
    if done.returncode != 0 or version is None:
        raise ToolError(
            f"{binary} did not report a restic version",
            hint=f"install restic {need} or newer (Debian: apt-get install restic)",
        )
    if version < restic.MIN_VERSION:
        have = ".".join(map(str, version))
        raise ToolError(
            f"restic {have} is too old; mailvault needs restic {need} or newer",
            hint="upgrade restic (Debian 12 ships 0.14.0)",
        )
    return version
