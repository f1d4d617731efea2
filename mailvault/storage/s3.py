"""Talking to the S3 endpoint with boto3: reachability, credentials, the bucket.

restic retries an unreachable endpoint for minutes; these probes answer within
the configured connect timeout (at most 30 s) with an error naming the endpoint.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from mailvault.errors import StorageError
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location
from mailvault.storage.reach import unreachable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "AuthorizationHeaderMalformed",
}
_DENIED = {"AccessDenied", "403", "Forbidden"}
_MISSING = {"NoSuchBucket", "404", "NotFound"}


def client(location: S3Location, creds: S3Credentials, *, timeout: int) -> S3Client:
    """A boto3 S3 client with short timeouts and path-style addressing."""
    cfg = BotoConfig(
        connect_timeout=timeout,
        read_timeout=max(timeout, 10),
        retries={"total_max_attempts": 1},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
    )
    return boto3.client(
        "s3",
        endpoint_url=location.endpoint,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        region_name=creds.region,
        config=cfg,
    )


def probe_bucket(location: S3Location, creds: S3Credentials, *, timeout: int) -> Literal["exists", "missing"]:
    """Say whether the bucket exists, proving the endpoint answers and the credentials work.

    Raise StorageError naming the endpoint when it is unreachable, the
    credentials are refused, or access to the bucket is denied.
    """
    s3 = client(location, creds, timeout=timeout)
    try:
        s3.list_objects_v2(Bucket=location.bucket, MaxKeys=1)
    except EndpointConnectionError as exc:
        raise unreachable(location) from exc
    except ClientError as exc:
        code = error_code(exc)
        if code in _MISSING:
            return "missing"
        raise _refused(location, code) from exc
    except BotoCoreError as exc:
        raise unreachable(location, str(exc)) from exc
    return "exists"


def create_bucket(location: S3Location, creds: S3Credentials, *, timeout: int, object_lock: bool = False) -> None:
    """Create the bucket (with Object Lock allowed, which implies versioning); raise StorageError when the
    credentials may not."""
    s3 = client(location, creds, timeout=timeout)
    try:
        if object_lock:
            s3.create_bucket(Bucket=location.bucket, ObjectLockEnabledForBucket=True)
        else:
            s3.create_bucket(Bucket=location.bucket)
    except ClientError as exc:
        code = error_code(exc)
        if code in _DENIED:
            raise StorageError(
                f"bucket {location.bucket} does not exist at {location.endpoint} "
                "and these credentials may not create it",
                hint="create the bucket with an admin account, or use credentials allowed to create buckets",
            ) from exc
        raise _refused(location, code) from exc
    except BotoCoreError as exc:
        raise unreachable(location, str(exc)) from exc
    logger.debug("created bucket %s at %s", location.bucket, location.endpoint)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or str(
        exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
    )


def _refused(location: S3Location, code: str) -> StorageError:
    if code in _BAD_CREDENTIALS:
        return StorageError(
            f"S3 endpoint {location.endpoint} refused the credentials ({code})",
            hint="check the access key id and secret in [repository.s3]",
        )
    if code in _DENIED:
        return StorageError(
            f"S3 endpoint {location.endpoint} denied access to bucket {location.bucket} ({code})",
            hint="grant these credentials read, write and list on the bucket",
        )
    return StorageError(f"S3 endpoint {location.endpoint} answered {code} for bucket {location.bucket}")
