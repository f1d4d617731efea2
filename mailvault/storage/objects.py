"""Putting small files into the bucket (boto3 edge): the drill's reports, beside the backups.

Every object carries its Content-MD5: AWS S3 refuses a PUT without an integrity header into a bucket
with Object Lock, and the server rejects a body that does not match it (BadDigest; SeaweedFS too).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from mailvault.errors import StorageError
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location
from mailvault.storage.reach import unreachable
from mailvault.storage.s3 import client, error_code

logger = logging.getLogger(__name__)


def content_md5(body: bytes) -> str:
    """The Content-MD5 header of ``body``: base64 of its MD5 digest.

    >>> content_md5(b"")
    '1B2M2Y8AsgTpgAmY7PhCfg=='
    """
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


@contextmanager
def _answered(location: S3Location, verb: str, what: str, hint: str | None = None) -> Iterator[None]:
    """One request's refusal as a StorageError naming the endpoint, ``what`` and the server's code; an
    endpoint that does not answer as unreachable."""
    try:
        yield
    except ClientError as exc:
        raise StorageError(
            f"S3 endpoint {location.endpoint} refused to {verb} {what} in bucket {location.bucket} ({error_code(exc)})",
            hint=hint,
        ) from exc
    except (EndpointConnectionError, BotoCoreError) as exc:
        raise unreachable(location, str(exc)) from exc


def put_objects(
    location: S3Location, creds: S3Credentials, objects: dict[str, tuple[bytes, str]], *, timeout: int
) -> None:
    """PUT each ``key -> (body, content type)`` into ``location.bucket``, in order.

    Raise StorageError naming the endpoint, the key and the server's error code when one is refused
    or the endpoint does not answer (objects before it stay written).
    """
    s3 = client(location, creds, timeout=timeout)
    for key, (body, content_type) in objects.items():
        with _answered(location, "store", key, "the backup credentials need the right to write objects in the bucket"):
            s3.put_object(
                Bucket=location.bucket, Key=key, Body=body, ContentType=content_type, ContentMD5=content_md5(body)
            )
        logger.debug("stored %s (%d bytes) in bucket %s", key, len(body), location.bucket)


def get_object(location: S3Location, creds: S3Credentials, key: str, *, timeout: int) -> bytes | None:
    """The body of ``key`` in ``location.bucket``; None when there is no such object.

    Raise StorageError naming the endpoint and the key when it is refused or does not answer."""
    s3 = client(location, creds, timeout=timeout)
    with _answered(location, "read", key, "the backup credentials need the right to read objects in the bucket"):
        try:
            return bytes(s3.get_object(Bucket=location.bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise


def list_keys(location: S3Location, creds: S3Credentials, prefix: str, *, timeout: int) -> list[str]:
    """Every key under ``prefix`` in ``location.bucket``; StorageError when listing is refused."""
    s3 = client(location, creds, timeout=timeout)
    keys: list[str] = []
    with _answered(location, "list", prefix, "these credentials need the right to list the bucket (s3:ListBucket)"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=prefix):
            keys += [str(item["Key"]) for item in page.get("Contents", [])]
    return keys


def delete_keys(location: S3Location, creds: S3Credentials, keys: list[str], *, timeout: int) -> None:
    """Delete ``keys`` (under Object Lock, a delete marker: the versions stay until their retention ends)."""
    s3 = client(location, creds, timeout=timeout)
    for key in keys:
        with _answered(location, "delete", key):
            s3.delete_object(Bucket=location.bucket, Key=key)
