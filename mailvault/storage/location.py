"""Parsing restic repository URLs into what S3 calls them. Pure."""

from __future__ import annotations

import re
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
    problem = s3_url_problem(url)
    if problem is not None:
        raise ConfigError(f"repository.url: {problem}", hint=_URL_HINT)
    scheme, host, bucket, prefix = _split(url)
    return S3Location(endpoint=f"{scheme}://{host}", bucket=bucket, prefix=prefix.strip("/"))


_URL_HINT = "write it as s3:http://HOST:PORT/BUCKET/PREFIX, or s3:HOST/BUCKET for https"
_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


def _split(url: str) -> tuple[str, str, str, str]:
    rest = url.removeprefix("s3:")
    scheme = "https"
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
    host, _, path = rest.partition("/")
    bucket, _, prefix = path.strip("/").partition("/")
    return scheme, host, bucket, prefix


def s3_url_problem(url: str) -> str | None:
    """What is wrong with the restic ``s3:`` URL ``url``, for the operator; None when nothing is.

    >>> s3_url_problem("s3:http://127.0.0.1:8333/Bad_Bucket!")[:45]
    "bucket name 'Bad_Bucket!' is not valid for S3"
    >>> s3_url_problem("s3:ftp://host/bucket")
    "'s3:ftp://host/bucket' has scheme 'ftp'; use http or https"
    """
    scheme, host, bucket, _ = _split(url)
    if scheme not in ("http", "https"):
        return f"{url!r} has scheme {scheme!r}; use http or https"
    name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not host or (colon and not name) or any(c.isspace() or c in "@?#\\" for c in host):
        return f"{url!r} names no usable host"
    if colon and not (port.isdecimal() and 0 < int(port) < 65536):
        return f"{url!r} has port {port!r}; a port is a number from 1 to 65535"
    if not bucket:
        return f"{url!r} names no bucket"
    if not (3 <= len(bucket) <= 63 and _BUCKET_CHARS.fullmatch(bucket)):
        return (
            f"bucket name {bucket!r} is not valid for S3: use 3 to 63 lower-case letters, digits, dots or"
            " hyphens, starting and ending with a letter or digit"
        )
    if ".." in bucket or _IPV4.fullmatch(bucket) or bucket.startswith(("xn--", "sthree-")):
        return f"bucket name {bucket!r} is not valid for S3: no '..', no IP address, no xn-- or sthree- prefix"
    return None


def local_path(url: str) -> Path | None:
    """The path of a local repository, or None for a remote (``s3:``, ``sftp:``, ...) one."""
    if url.startswith("local:"):
        return Path(url.removeprefix("local:"))
    if ":" in url.split("/", 1)[0]:
        return None
    return Path(url)
