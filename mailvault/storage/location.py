"""Parsing restic repository URLs into what S3 calls them. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailvault.errors import ConfigError


@dataclass(frozen=True)
class S3Location:
    """An S3 repository: ``s3:http://127.0.0.1:8333/mailvault/mail1``."""

    endpoint: str  # "http://127.0.0.1:8333"
    bucket: str  # "mailvault"
    prefix: str  # "mail1" (may be empty)

    def describe(self) -> str:
        return f"{self.endpoint}/{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")


def parse_s3_url(url: str) -> S3Location:
    """Split a restic ``s3:`` URL.

    >>> parse_s3_url("s3:http://127.0.0.1:8333/mailvault/mail1")
    S3Location(endpoint='http://127.0.0.1:8333', bucket='mailvault', prefix='mail1')
    >>> parse_s3_url("s3:s3.eu-west-1.amazonaws.com/bucket")
    S3Location(endpoint='https://s3.eu-west-1.amazonaws.com', bucket='bucket', prefix='')

    Raise ConfigError when there is no bucket or the bucket name is invalid.
    """
    rest = url.removeprefix("s3:")
    scheme = "https"
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
    host, _, path = rest.partition("/")
    bucket, _, prefix = path.strip("/").partition("/")
    if not host or not bucket:
        raise ConfigError(
            f"repository.url: {url!r} names no bucket",
            hint="write it as s3:http://HOST:PORT/BUCKET/PREFIX",
        )
    if not 3 <= len(bucket) <= 63 or bucket != bucket.lower() or "_" in bucket:
        raise ConfigError(
            f"repository.url: bucket name {bucket!r} is not valid for S3",
            hint="use 3 to 63 lower-case letters, digits, dots or hyphens",
        )
    return S3Location(endpoint=f"{scheme}://{host}", bucket=bucket, prefix=prefix.strip("/"))


def local_path(url: str) -> Path | None:
    """The path of a local repository, or None for a remote (``s3:``, ``sftp:``, ...) one."""
    if url.startswith("local:"):
        return Path(url.removeprefix("local:"))
    if ":" in url.split("/", 1)[0]:
        return None
    return Path(url)
