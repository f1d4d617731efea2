from datetime import UTC, datetime

from mailvault.actions.engine import stale_locks
from mailvault.tools.restic_output import Lock

T = datetime(2026, 11, 28, tzinfo=UTC)


def test_only_dead_processes_on_this_host_are_stale() -> None:
    locks = [
        Lock("dead-here", "mail1", 100, False, T),
        Lock("live-here", "mail1", 200, True, T),
        Lock("dead-elsewhere", "backup-host", 100, False, T),
    ]
    stale = stale_locks(locks, "mail1", alive=lambda pid: pid == 200)
    assert [lk.id for lk in stale] == ["dead-here"]


def test_only_deleting_commands_use_the_prune_pair() -> None:
    from pydantic import SecretStr

    from mailvault.config.schema import RepositorySection, S3KeysSection, S3Section
    from mailvault.keys.sources import s3_credentials

    repo = RepositorySection(
        url="s3:http://127.0.0.1:8333/bucket/p",
        password=SecretStr("pw-123456"),
        s3=S3Section(
            access_key_id=SecretStr("nightly-id"),
            secret_access_key=SecretStr("nightly-secret"),
            prune=S3KeysSection(access_key_id=SecretStr("prune-id"), secret_access_key=SecretStr("prune-secret")),
        ),
    )
    nightly, deleting = s3_credentials(repo), s3_credentials(repo, deleting=True)
    assert nightly is not None and deleting is not None
    assert (nightly.access_key_id, deleting.access_key_id) == ("nightly-id", "prune-id")
    assert repo.s3 is not None
    unsplit = repo.model_copy(update={"s3": repo.s3.model_copy(update={"prune": None})})
    fallback = s3_credentials(unsplit, deleting=True)
    assert fallback is not None and fallback.access_key_id == "nightly-id"
