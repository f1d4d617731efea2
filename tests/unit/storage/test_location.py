from pathlib import Path

import pytest

from mailvault.errors import ConfigError
from mailvault.storage.location import S3Location, local_path, parse_s3_url


def test_parse_s3_url_variants() -> None:
    assert parse_s3_url("s3:http://127.0.0.1:8333/mailvault/mail1") == S3Location(
        "http://127.0.0.1:8333", "mailvault", "mail1"
    )
    assert parse_s3_url("s3:https://s3.example.net/bucket/a/b/") == S3Location(
        "https://s3.example.net", "bucket", "a/b"
    )
    assert parse_s3_url("s3:s3.amazonaws.com/bkt") == S3Location("https://s3.amazonaws.com", "bkt", "")


@pytest.mark.parametrize("url", ["s3:http://127.0.0.1:8333", "s3:http://h/UPPER", "s3:http://h/ab", "s3:http://h/a_b"])
def test_parse_s3_url_rejects_bad_buckets(url: str) -> None:
    with pytest.raises(ConfigError, match=r"repository\.url"):
        parse_s3_url(url)


def test_local_path() -> None:
    assert local_path("/var/backups/mailvault") == Path("/var/backups/mailvault")
    assert local_path("local:/srv/r") == Path("/srv/r")
    assert local_path("s3:http://h/b") is None
    assert local_path("sftp:user@host:/r") is None
