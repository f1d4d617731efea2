"""What a recovery kit holds, and how it stands in for the config on a bare machine. Pure.

The payload is JSON: the repository URL and password, the S3 credentials (and the separate
prune credentials when configured) and the text of the mailvault config it was exported from.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from mailvault.config.schema import Config
from mailvault.errors import KitError

PAYLOAD_FORMAT = 1
_SOURCE_SUFFIXES = ("_file", "_command", "_env", "_credential")


@dataclass(frozen=True)
class S3Keys:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class KitContent:
    created: str  # "2026-11-29T02:10:00+00:00"
    hostname: str
    mailvault_version: str
    repository_url: str
    password: str
    s3_region: str | None
    s3: S3Keys | None
    s3_prune: S3Keys | None
    config_toml: str
    config_path: str

    def secrets(self) -> list[str]:
        """Every secret value in the kit (for masking and leak checks)."""
        pairs = [p for p in (self.s3, self.s3_prune) if p is not None]
        return [self.password, *(v for p in pairs for v in (p.access_key_id, p.secret_access_key))]

    def to_payload(self) -> bytes:
        return json.dumps({"payload_format": PAYLOAD_FORMAT, **asdict(self)}, sort_keys=True).encode("utf-8")

    @classmethod
    def from_payload(cls, data: bytes, *, name: str) -> KitContent:
        """Parse a decrypted payload. Raise KitError when it is not one this mailvault understands."""
        try:
            raw = json.loads(data)
            if raw.pop("payload_format") != PAYLOAD_FORMAT:
                raise KitError(
                    f"{name} holds a payload this mailvault does not understand", hint="use a newer mailvault"
                )
            for key in ("s3", "s3_prune"):
                raw[key] = S3Keys(**raw[key]) if raw.get(key) else None
            return cls(**raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise KitError(f"{name}: its content is not a mailvault kit payload ({exc.__class__.__name__})") from None

    def to_config(self) -> Config:
        """The exported config with every secret taken from the kit instead of files or commands.

        Nothing is written to disk: the secrets stay in memory and reach restic by environment.
        """
        try:
            data: dict[str, Any] = tomllib.loads(self.config_toml)
        except tomllib.TOMLDecodeError as exc:
            raise KitError(f"the config inside the kit does not parse: {exc}") from None
        repo = data.setdefault("repository", {})
        repo["url"] = self.repository_url
        _inline(repo, "password", self.password)
        if self.s3 is not None:
            s3 = repo.setdefault("s3", {})
            _inline(s3, "access_key_id", self.s3.access_key_id)
            _inline(s3, "secret_access_key", self.s3.secret_access_key)
            if self.s3_region:
                s3["region"] = self.s3_region
            if self.s3_prune is not None:
                prune = s3.setdefault("prune", {})
                _inline(prune, "access_key_id", self.s3_prune.access_key_id)
                _inline(prune, "secret_access_key", self.s3_prune.secret_access_key)
            else:
                s3.pop("prune", None)
        try:
            return Config.model_validate(data)
        except ValidationError as exc:
            raise KitError(f"the config inside the kit is not valid here: {exc.errors()[0]['msg']}") from None


def _inline(section: dict[str, Any], stem: str, value: str) -> None:
    for suffix in _SOURCE_SUFFIXES:
        section.pop(stem + suffix, None)
    section[stem] = value
