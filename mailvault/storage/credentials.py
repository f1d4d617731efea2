"""S3 credentials as restic reads them. No boto3 here, so the nightly path need not import it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    region: str

    def restic_env(self) -> dict[str, str]:
        """The environment restic reads its S3 credentials from."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }
