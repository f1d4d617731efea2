"""Bucket protection against a compromised mail host: versioning and S3 Object Lock (boto3 edge).

With versioning, an overwrite or delete keeps the old version; with Object Lock and a default
retention, no credentials (in COMPLIANCE mode) or none without the bypass right (GOVERNANCE)
can remove a version before its retention ends. Every answer the server gives is reported as
it is: a server that lacks a feature is said to lack it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from mailvault.errors import StorageError
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location
from mailvault.storage.reach import unreachable
from mailvault.storage.s3 import client, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)
LockMode = Literal["GOVERNANCE", "COMPLIANCE"]
_UNSUPPORTED = {"NotImplemented", "501", "MethodNotAllowed", "405", "InvalidRequest"}
_NO_LOCK = {"ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound", "NoSuchObjectLockConfiguration"}


@dataclass(frozen=True)
class Protection:
    bucket: str
    versioning: str  # "Enabled", "Suspended", "Off", or "unsupported"
    object_lock: str  # "Enabled", "Off", or "unsupported"
    retention_mode: str | None
    retention_days: int | None
    findings: list[str]

    @property
    def protected(self) -> bool:
        return self.versioning == "Enabled" and self.object_lock == "Enabled" and bool(self.retention_days)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "protected": self.protected}


def inspect(location: S3Location, creds: S3Credentials, *, timeout: int) -> Protection:
    """Ask the server for the bucket's versioning, Object Lock and default retention."""
    s3 = client(location, creds, timeout=timeout)
    bucket = location.bucket
    findings: list[str] = []
    versioning = _call(location, lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status") or "Off")
    lock, mode, days = "Off", None, None
    try:
        cfg = s3.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
        lock = "Enabled" if cfg.get("ObjectLockEnabled") == "Enabled" else "Off"
        retention = cfg.get("Rule", {}).get("DefaultRetention", {})
        mode = retention.get("Mode")
        days = retention.get("Days") or (retention.get("Years", 0) * 365) or None
    except ClientError as exc:
        code = error_code(exc)
        if code in _UNSUPPORTED:
            lock = "unsupported"
        elif code not in _NO_LOCK:
            raise _failed(location, "read the Object Lock configuration", code) from exc
    except (EndpointConnectionError, BotoCoreError) as exc:
        raise unreachable(location, str(exc)) from exc
    if versioning == "unsupported":
        findings.append(f"the S3 server does not support versioning on {bucket}: deleted data cannot be recovered")
    elif versioning != "Enabled":
        findings.append(f"versioning is {versioning} on {bucket}: a compromised host can delete or overwrite backups")
    if lock == "unsupported":
        findings.append("the S3 server does not support Object Lock: retention cannot be enforced by the storage")
    elif lock != "Enabled":
        findings.append(f"Object Lock is not enabled on {bucket}: `mailvault init --object-lock-days N` enables it")
    elif not days:
        findings.append(f"Object Lock is enabled on {bucket} but has no default retention: objects are not locked")
    elif mode == "GOVERNANCE":
        findings.append("retention is GOVERNANCE: credentials with s3:BypassGovernanceRetention can still delete")
    return Protection(bucket, versioning, lock, mode, days, findings)


def enable(
    location: S3Location, creds: S3Credentials, *, timeout: int, lock_days: int | None, mode: LockMode
) -> list[str]:
    """Turn versioning on, and with ``lock_days`` a default Object Lock retention. Return what was done."""
    s3 = client(location, creds, timeout=timeout)
    bucket = location.bucket
    done = []
    _call(
        location,
        lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}),
        what="enable versioning",
    )
    done.append("versioning enabled")
    if lock_days:
        _lock(s3, location, lock_days, mode)
        done.append(f"Object Lock on, default retention {mode} {lock_days} days")
    for line in done:
        logger.info("bucket %s: %s", bucket, line)
    return done


def _lock(s3: S3Client, location: S3Location, days: int, mode: LockMode) -> None:
    try:
        s3.put_object_lock_configuration(
            Bucket=location.bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
            },
        )
    except ClientError as exc:
        code = error_code(exc)
        if code in _UNSUPPORTED:
            raise StorageError(
                f"the S3 server at {location.endpoint} does not support Object Lock ({code})",
                hint="versioning is on; for enforced retention use a server or provider that supports Object Lock",
            ) from exc
        raise StorageError(
            f"S3 server {location.endpoint} refused Object Lock on the existing bucket {location.bucket} ({code})",
            hint="some servers allow Object Lock only on new buckets: init a repository in a new bucket",
        ) from exc
    except (EndpointConnectionError, BotoCoreError) as exc:
        raise unreachable(location, str(exc)) from exc


def _call(location: S3Location, fn: Any, *, what: str = "read versioning") -> Any:
    try:
        return fn()
    except ClientError as exc:
        code = error_code(exc)
        if code in _UNSUPPORTED and what == "read versioning":
            return "unsupported"
        raise _failed(location, what, code) from exc
    except (EndpointConnectionError, BotoCoreError) as exc:
        raise unreachable(location, str(exc)) from exc


def _failed(location: S3Location, what: str, code: str) -> StorageError:
    return StorageError(
        f"S3 endpoint {location.endpoint} would not {what} on bucket {location.bucket} ({code})",
        hint="these credentials may lack the right; bucket settings need the bucket owner's (admin) credentials",
    )
