"""Which snapshot a drill proves: ``oldest-kept`` is the oldest that retention keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailvault.actions.snapshot_pick import pick_for_drill
from mailvault.errors import RestoreError
from mailvault.tools.restic_output import RecordRef, Snapshot, parse_forget

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _snap(n: int, *, superseded: bool = False) -> Snapshot:
    record = RecordRef("r" * 64, "/m.json", "superseded", 0, 0) if superseded else None
    return Snapshot(f"{n:064d}", f"{n:08d}", NOW - timedelta(days=10 - n), "mail", ("/v",), record=record)


def test_oldest_kept_is_the_oldest_snapshot_retention_keeps_not_the_oldest_there_is() -> None:
    snaps = [_snap(1), _snap(2, superseded=True), _snap(3), _snap(4)]
    kept = {snaps[1].id, snaps[2].id, snaps[3].id}
    # (a superseded one lacks what moved while it was made: its successor is the proof)
    assert pick_for_drill(snaps, "oldest-kept", now=NOW, kept=lambda: kept) is snaps[2]
    with pytest.raises(RestoreError, match="retention keeps none"):
        pick_for_drill(snaps, "oldest-kept", now=NOW, kept=set)
    asked: list[int] = []
    pick_for_drill(snaps, "latest", now=NOW, kept=lambda: asked.append(1) or kept)  # type: ignore[func-returns-value]
    assert asked == [], "only oldest-kept asks restic what retention keeps"


def test_forget_plan_ids_are_parsed_from_restics_json() -> None:
    text = '[{"keep": [{"id": "aa", "short_id": "a"}], "remove": [{"id": "bb", "short_id": "b"}]}]'
    planned = parse_forget(text)
    assert planned.kept_ids == ("aa",) and planned.removed_ids == ("b",)
