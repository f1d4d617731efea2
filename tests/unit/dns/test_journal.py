from __future__ import annotations

import json
from pathlib import Path

from mailvault.dns.journal import Journal
from mailvault.dns.records import Change, RRset

CHANGE = Change(RRset("example.org.", "MX", 3600, ("10 a.",)), RRset("example.org.", "MX", 300, ("10 a.",)))


def test_entries_are_durable_numbered_and_marked(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "dns" / "example.org")
    first = journal.append("lower-ttl", [CHANGE])
    assert first.id == 1 and first.status == "pending" and first.live
    journal.mark(first.id, "refused", "TSIG key refused")
    second = journal.append("lower-ttl", [CHANGE])
    journal.mark(second.id, "applied")
    again = Journal(tmp_path / "dns" / "example.org").entries()
    assert [(e.id, e.status) for e in again] == [(1, "refused"), (2, "applied")]
    assert again[0].notes == ["TSIG key refused"] and again[1].changes == [CHANGE]
    assert journal.last("lower-ttl") is not None and journal.last("lower-ttl").id == 2  # type: ignore[union-attr]
    assert journal.last("cutover") is None
    assert (journal.path.stat().st_mode & 0o777) == 0o600
    assert json.loads(journal.path.read_text())["entries"][1]["status"] == "applied"
