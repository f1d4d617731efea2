from pathlib import Path

from mailvault.kit.fingerprint import CHANGED_KEY, fingerprint, freshness, record_export
from mailvault.state.db import StateDB


def test_freshness_never_current_stale(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    secrets = ["s3:http://h/b", "pw-1", "id", "key"]
    assert freshness(db, secrets).state == "never"
    record_export(db, secrets, when="2026-11-29T02:00:00+00:00", path="/root/kit.bin")
    now = freshness(db, secrets)
    assert now.ok and now.exported_at == "2026-11-29T02:00:00+00:00" and now.path == "/root/kit.bin"
    db.put(CHANGED_KEY, "2026-11-30T03:00:00+00:00")
    stale = freshness(db, ["s3:http://h/b", "pw-2", "id", "key"])
    assert stale.state == "stale" and "changed 2026-11-30T03:00:00+00:00" in stale.message


def test_the_fingerprint_is_keyed_per_host_and_holds_no_secret(tmp_path: Path) -> None:
    one, two = StateDB(tmp_path / "a.db"), StateDB(tmp_path / "b.db")
    assert fingerprint(one, ["pw"]) == fingerprint(one, ["pw"])
    assert fingerprint(one, ["pw"]) != fingerprint(two, ["pw"])  # a different host key
    assert "pw" not in fingerprint(one, ["pw"])
