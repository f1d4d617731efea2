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
