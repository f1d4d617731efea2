"""Ransomware-resistant storage against the real SeaweedFS S3: versioning, Object Lock with a default
retention, `storage check`, and separate credentials for pruning."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mailvault.demo.seaweed import SeaweedS3
from mailvault.storage.credentials import S3Credentials
from mailvault.storage.location import S3Location
from mailvault.storage.s3 import client
from tests.e2e.workspace import Workspace, unique_prefix


@pytest.fixture
def fresh_bucket_ws(ws: Workspace, s3server: SeaweedS3) -> Workspace:
    ws.url = f"s3:{s3server.endpoint}/mv-lock-{unique_prefix()}/mail1"
    return ws


def admin_client(s3server: SeaweedS3):  # type: ignore[no-untyped-def]
    creds = S3Credentials(s3server.admin.access_key, s3server.admin.secret_key, "us-east-1")
    return client(S3Location(s3server.endpoint, "unused", ""), creds, timeout=10)


def test_object_lock_on_a_new_bucket_is_real_and_backups_work_under_it(
    fresh_bucket_ws: Workspace, s3server: SeaweedS3
) -> None:
    ws = fresh_bucket_ws
    ws.generate()
    init = ws.cli_json("init", "--object-lock-days", "1")
    assert init["bucket_created"] and "Object Lock on, default retention GOVERNANCE 1 days" in init["protection"]
    report = ws.cli_json("storage", "check")
    assert (report["versioning"], report["object_lock"]) == ("Enabled", "Enabled")
    assert (report["retention_mode"], report["retention_days"], report["protected"]) == ("GOVERNANCE", 1, True)
    assert any("[repository.s3.prune]" in f for f in report["findings"])
    ws.cli("backup")  # restic's lock files get deleted (delete markers) under the retention
    ws.cli("backup")
    assert ws.cli_json("check")["ok"] is True

    # what the server really enforces: a locked version cannot be deleted, even by the admin
    s3 = admin_client(s3server)
    bucket = ws.url.split("/")[3]
    version = s3.list_object_versions(Bucket=bucket, Prefix="mail1/data/")["Versions"][0]
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    assert s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["ContentLength"] > 0


def test_an_unprotected_bucket_is_reported_then_versioned(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    report = ws.cli_json("storage", "check")
    assert report["protected"] is False and report["object_lock"] == "Off"
    assert any("versioning is" in f and "can delete or overwrite backups" in f for f in report["findings"])
    text = ws.cli("storage", "check").stdout
    assert "NOT protected against deletion" in text
    # config keys in the findings are printed as they are, not eaten as markup
    assert "set [repository.s3.prune] and take the delete" in text.replace("\n", " ")
    assert ws.cli_json("init", "--versioning")["protection"] == ["versioning enabled"]
    assert ws.cli_json("storage", "check")["versioning"] == "Enabled"


def test_protection_flags_refuse_a_local_repository(local_ws: Workspace) -> None:
    local_ws.generate()
    proc = local_ws.cli("init", "--versioning", check=False)
    assert proc.returncode == 1 and "are for S3 repositories" in proc.stderr
    assert not (local_ws.root / "repo").exists()


def test_prune_uses_the_separate_prune_credentials(ws: Workspace, s3server: SeaweedS3) -> None:
    """The nightly pair backs up; only prune uses [repository.s3.prune]. A broken prune pair shows it."""
    ws.generate()
    ws.cli("init")
    ws.write_secret("prune-id", s3server.admin.access_key)
    ws.write_secret("prune-secret", "not-the-prune-secret-" + unique_prefix())
    prune = (
        "[repository.s3.prune]\n"
        f'access_key_id_file = "{ws.secrets / "prune-id"}"\n'
        f'secret_access_key_file = "{ws.secrets / "prune-secret"}"\n'
    )
    text = ws.config_path.read_text().replace("connect_timeout = 5\n", "connect_timeout = 5\n" + prune)
    ws.config_path.write_text(text)
    ws.cli("backup")
    ws.cli("check")
    refused = ws.cli("prune", check=False)
    assert refused.returncode == 1 and "[repository.s3.prune]" in refused.stderr
    ws.write_secret("prune-secret", s3server.admin.secret_key)
    assert ws.cli_json("prune")["kept"] == 1
    assert ws.cli_json("storage", "check")["separate_prune_credentials"] is True
