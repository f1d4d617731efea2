"""The fleet's seal, summaries and view: pure parts, with real keys and real files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailvault.actions.fleet import read_store
from mailvault.actions.fleet_store import DirStore
from mailvault.fleet.seal import SealError, keygen, open_sealed, public_of, seal
from mailvault.fleet.summary import PREFIX, object_key, summarize
from mailvault.fleet.view import CRIT, OK, UNKNOWN, WARN, Received, evaluate, fleet_level

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_summary_opens_only_with_the_fleet_key_and_only_under_its_own_name() -> None:
    public, secret = keygen()
    assert public_of(secret) == public
    blob = seal(public, b'{"a": 1}', b"mailvault-fleet/mail1/x")
    assert open_sealed(secret, blob, b"mailvault-fleet/mail1/x") == b'{"a": 1}'
    with pytest.raises(SealError, match="does not open with this fleet key"):
        open_sealed(keygen()[1], blob, b"mailvault-fleet/mail1/x")  # another fleet's key
    with pytest.raises(SealError, match="does not open"):
        open_sealed(secret, blob, b"mailvault-fleet/mail2/x")  # moved under another host
    with pytest.raises(SealError, match="truncated"):
        open_sealed(secret, blob[:60], b"mailvault-fleet/mail1/x")
    with pytest.raises(SealError, match="newer format"):
        open_sealed(secret, b"MVFLEET2" + blob[8:], b"mailvault-fleet/mail1/x")
    with pytest.raises(SealError, match="not a mailvault fleet summary"):
        open_sealed(secret, b"junk" * 20, b"k")
    with pytest.raises(ValueError, match="starts with"):
        seal(secret, b"x", b"k")  # a secret key given where the public one goes


def test_a_summary_carries_no_mailbox_name_nor_finding_text() -> None:
    run = {"id": 3, "started": "s", "finished": "f", "status": "ok", "summary": {
        "verdict": "fail", "rto_s": 4.0, "failures": ["alice@example.org INBOX: 3 messages over IMAP"],
        "coverage": {"share_proven": 0.5, "oldest_unproven": {"mailbox": "bob@example.org", "since": None}},
    }}  # fmt: skip
    text = json.dumps(summarize("drill", run, {"host": "mail1", "seq": 1}))
    assert "example.org" not in text and "INBOX" not in text
    drill = json.loads(text)["drill"]
    assert (drill["verdict"], drill["rto_s"], drill["coverage"], drill["failures"]) == ("fail", 4.0, 0.5, 1)


def _summary(host: str, seq: int, kind: str, finished: datetime, **more: object) -> Received:
    data = {"host": host, "seq": seq, "kind": kind, "status": "ok", "finished": finished.isoformat(),
            "rpo_target_s": 26 * 3600, "repository_bytes": 1000 + seq, **more}  # fmt: skip
    return Received(f"{PREFIX}{host}/{seq}", host, seq, kind, data)


def test_healthy_stopped_and_failed_hosts_are_told_apart() -> None:
    day = timedelta(days=1)
    received = [
        _summary("ok", 1, "backup", NOW - day / 2),
        _summary("ok", 2, "drill", NOW - day / 3, drill={"verdict": "pass"}),
        _summary("stopped", 1, "backup", NOW - 3 * day), _summary("stopped", 2, "drill", NOW - 3 * day,
                                                                   drill={"verdict": "pass"}),
        _summary("failed", 1, "backup", NOW - day / 2), _summary("failed", 2, "drill", NOW - day / 4,
                                                                  drill={"verdict": "fail", "rto_s": 9.0}),
    ]  # fmt: skip
    rows = {r.host: r for r in evaluate(received, NOW)}
    assert (rows["ok"].level, rows["stopped"].level, rows["failed"].level) == (OK, CRIT, CRIT)
    assert rows["stopped"].silent_since == (NOW - 3 * day).isoformat()
    assert any(p.startswith("silent since") for p in rows["stopped"].problems)
    assert rows["failed"].problems == ["the last restore drill failed"] and rows["failed"].rto_s == 9.0
    assert fleet_level(list(rows.values())) == CRIT and fleet_level([]) == UNKNOWN


def test_a_clock_that_went_back_does_not_reorder_a_hosts_history() -> None:
    """seq 2 (the newer run) says a time before seq 1's: the host's order stands."""
    received = [
        _summary("m", 1, "drill", NOW - timedelta(hours=1), drill={"verdict": "fail"}),
        _summary("m", 2, "drill", NOW - timedelta(hours=5), drill={"verdict": "pass"}),
        _summary("m", 3, "backup", NOW - timedelta(hours=4)),
    ]
    row = evaluate(received, NOW)[0]
    assert row.drill_verdict == "pass" and row.level == OK


def test_unreadable_summaries_are_listed_and_never_stop_the_view(tmp_path: Path) -> None:
    public, secret = keygen()
    store = DirStore(tmp_path)
    good = object_key(PREFIX, "mail1", 1, "backup", NOW)
    run = {"id": 1, "finished": NOW.isoformat(), "status": "ok", "summary": {}}
    text = json.dumps(summarize("backup", run, {"host": "mail1", "seq": 1, "rpo_target_s": 9e9}))
    store.put(good, seal(public, text.encode(), good.encode()))
    bad = {
        object_key(PREFIX, "mail1", 2, "backup", NOW): b"MVFLEET1" + b"\0" * 10,  # truncated
        object_key(PREFIX, "mail1", 3, "drill", NOW): seal(keygen()[0], b"{}", b"x"),  # another fleet's key
        object_key(PREFIX, "mail1", 4, "check", NOW): b"MVFLEET9" + b"\0" * 80,  # a newer format
    }
    for key, blob in bad.items():
        store.put(key, blob)
    moved = object_key(PREFIX, "mail2", 1, "backup", NOW)  # mail1's summary copied under mail2's name
    store.put(moved, (tmp_path / "mail1" / good.rsplit("/", 1)[1]).read_bytes())
    store.put(PREFIX + "mail1/notes.txt", b"not ours")  # under the prefix, not a summary's name: left alone
    received = read_store(store, secret)
    rows = {r.host: r for r in evaluate(received, NOW)}
    reasons = " | ".join(rows["mail1"].unreadable)
    assert "truncated" in reasons and "does not open with this fleet key" in reasons and "newer format" in reasons
    assert rows["mail1"].summaries == 1 and "3 summaries could not be read" in rows["mail1"].problems
    assert rows["mail1"].level == WARN  # (the readable backup is fresh; no drill yet)
    assert rows["mail2"].level == UNKNOWN and "does not open" in rows["mail2"].unreadable[0]


def test_a_hosts_history_is_bounded_per_kind(tmp_path: Path) -> None:
    from mailvault.actions.fleet_publish import _forget_old

    store = DirStore(tmp_path)
    keys = [(seq, object_key(PREFIX, "mail1", seq, "backup", NOW)) for seq in range(1, 13)]
    for _, key in keys:
        store.put(key, b"x")
    drill = object_key(PREFIX, "mail1", 13, "drill", NOW)
    store.put(drill, b"x")
    _forget_old(store, keys, 10)
    left = store.keys(PREFIX + "mail1/")
    assert len(left) == 11 and keys[0][1] not in left and keys[1][1] not in left and drill in left
