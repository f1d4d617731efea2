import pytest

from mailvault.errors import KitError
from mailvault.kit.content import KitContent, S3Keys

CONFIG = """
[repository]
url = "s3:http://old-host:8333/mailvault/mail1"
password_file = "/etc/mailvault/repository.key"

[repository.s3]
access_key_id_file = "/etc/mailvault/s3-access-key-id"
secret_access_key_command = "pass show s3"
region = "eu-central-1"

[repository.s3.prune]
access_key_id_env = "PRUNE_ID"
secret_access_key_file = "/etc/mailvault/prune-secret"

[sources]
maildirs = ["/var/vmail"]

[state]
dir = "/var/lib/mailvault"
"""


def content(**changes: object) -> KitContent:
    base = dict(
        created="2026-11-29T02:00:00+00:00",
        hostname="mail.example.com",
        mailvault_version="0.1.0",
        repository_url="s3:http://127.0.0.1:8333/mailvault/mail1",
        password="repo-password-123",
        s3_region="us-east-1",
        s3=S3Keys("AKIANIGHTLY0001", "nightly-secret"),
        s3_prune=S3Keys("AKIAPRUNE000001", "prune-secret"),
        config_toml=CONFIG,
        config_path="/etc/mailvault/mailvault.toml",
    )
    base.update(changes)
    return KitContent(**base)  # type: ignore[arg-type]


def test_payload_round_trip_and_secrets() -> None:
    kit = content()
    assert KitContent.from_payload(kit.to_payload(), name="k") == kit
    assert kit.secrets() == [
        "repo-password-123",
        "AKIANIGHTLY0001",
        "nightly-secret",
        "AKIAPRUNE000001",
        "prune-secret",
    ]


def test_to_config_takes_every_secret_from_the_kit_and_none_from_files_commands_or_env() -> None:
    config = content().to_config()
    repo = config.repository
    assert repo.url == "s3:http://127.0.0.1:8333/mailvault/mail1"  # the kit's URL wins over the file's
    assert repo.password is not None and repo.password.get_secret_value() == "repo-password-123"
    assert repo.password_file is None
    assert repo.s3 is not None and repo.s3.region == "us-east-1"
    assert repo.s3.access_key_id_file is None and repo.s3.secret_access_key_command is None
    assert repo.s3.secret_access_key is not None and repo.s3.secret_access_key.get_secret_value() == "nightly-secret"
    prune = repo.s3.prune
    assert prune is not None and prune.access_key_id_env is None and prune.secret_access_key_file is None
    assert prune.access_key_id is not None and prune.access_key_id.get_secret_value() == "AKIAPRUNE000001"
    assert config.sources.maildirs[0].as_posix() == "/var/vmail"


def test_a_kit_without_prune_keys_drops_the_prune_section() -> None:
    config = content(s3_prune=None).to_config()
    assert config.repository.s3 is not None and config.repository.s3.prune is None


def test_a_payload_from_elsewhere_is_refused_cleanly() -> None:
    with pytest.raises(KitError, match="not a mailvault kit payload"):
        KitContent.from_payload(b'{"payload_format": 1, "hello": 2}', name="k")
    with pytest.raises(KitError, match="does not understand"):
        KitContent.from_payload(b'{"payload_format": 9}', name="k")
    with pytest.raises(KitError, match="not a mailvault kit payload"):
        KitContent.from_payload(b"\xff\xfe", name="k")
