"""Where fleet summaries are kept: the bucket's ``mailvault-fleet/`` (through storage/), or a
directory beside a local repository (``<path>-fleet/``). One small interface for both."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.fleet.summary import PREFIX
from mailvault.keys.sources import s3_credentials
from mailvault.state.paths import write_atomic
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location, local_path, parse_s3_url


class Store(Protocol):
    @property
    def where(self) -> str: ...

    def keys(self, prefix: str) -> list[str]: ...
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, body: bytes) -> None: ...
    def delete(self, keys: list[str]) -> None: ...


@dataclass(frozen=True)
class S3Store:
    location: S3Location
    creds: S3Credentials
    timeout: int

    @property
    def where(self) -> str:
        return f"s3:{self.location.endpoint}/{self.location.bucket}/{PREFIX}"

    def keys(self, prefix: str) -> list[str]:
        from mailvault.storage.objects import list_keys

        return list_keys(self.location, self.creds, prefix, timeout=self.timeout)

    def get(self, key: str) -> bytes | None:
        from mailvault.storage.objects import get_object

        return get_object(self.location, self.creds, key, timeout=self.timeout)

    def put(self, key: str, body: bytes) -> None:
        from mailvault.storage.objects import put_objects

        put_objects(self.location, self.creds, {key: (body, "application/octet-stream")}, timeout=self.timeout)

    def delete(self, keys: list[str]) -> None:
        from mailvault.storage.objects import delete_keys

        delete_keys(self.location, self.creds, keys, timeout=self.timeout)


@dataclass(frozen=True)
class DirStore:
    root: Path  # holds <host>/<seq>-<kind>-<time>.mvs: the keys without PREFIX

    @property
    def where(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key.removeprefix(PREFIX)

    def keys(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        top = base if base.is_dir() else base.parent
        if not top.is_dir():
            return []
        found = []
        for folder, _dirs, files in os.walk(top):
            for name in files:
                key = PREFIX + str((Path(folder) / name).relative_to(self.root))
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, body: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path, body)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)


def for_source(config: Config, source: str) -> Store:
    """The store an operator names: ``s3:http(s)://endpoint/bucket`` (the repository's S3 credentials)
    or a local directory."""
    if source.startswith("s3:"):
        creds, s3 = s3_credentials(config.repository), config.repository.s3
        if creds is None or s3 is None:
            raise MailvaultError(
                f"reading {source} needs S3 credentials", hint="set [repository.s3] (the fleet reads with them)"
            )
        return S3Store(parse_s3_url(source), creds, s3.connect_timeout)
    return DirStore(Path(source))


def for_repository(config: Config) -> Store:
    """Beside this host's repository: the bucket's root, or ``<path>-fleet`` next to a local one."""
    url = config.repository.url
    if config.repository.is_s3:
        return for_source(config, url)
    local = local_path(url)
    if local is None:
        raise MailvaultError(f"fleet summaries beside a {url.split(':', 1)[0]}: repository are not supported")
    resolved = local.resolve()
    return DirStore(resolved.with_name(resolved.name + "-fleet"))
