"""`mailvault snapshots`: each snapshot with its time, id and manifest totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mailvault.actions.engine import Engine
from mailvault.actions.snapshot_pick import list_snapshots
from mailvault.config.schema import Config
from mailvault.tools.restic_output import Snapshot


@dataclass(frozen=True)
class SnapshotRow:
    id: str
    short_id: str
    time: str
    hostname: str
    mailboxes: int | None
    messages: int | None
    bytes: int | None
    # "complete": the snapshot holds what was scanned, or its manifest of record says what it holds;
    # "partial": messages on disk before and after the backup are missing from it; "superseded": a
    # catch-up pass of the same run made a fuller snapshot; "unreconciled": its run was killed before
    # it compared the snapshot with the scan; "incomplete": files restic could not read are not in it.
    state: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(snap: Snapshot, key: str) -> int | None:
    value = snap.tag_value(key)
    return int(value) if value is not None and value.isdecimal() else None


def row(snap: Snapshot) -> SnapshotRow:
    """A snapshot with the manifest totals mailvault tags it with (its record's, when it has one)."""
    rec = snap.record
    return SnapshotRow(
        id=snap.id,
        short_id=snap.short_id,
        time=snap.time.isoformat(timespec="seconds"),
        hostname=snap.hostname,
        mailboxes=_int(snap, "mailboxes"),
        messages=rec.messages if rec and rec.messages is not None else _int(snap, "messages"),
        bytes=rec.bytes if rec and rec.bytes is not None else _int(snap, "bytes"),
        state=rec.state if rec else "complete",
    )


def snapshots(config: Config) -> list[SnapshotRow]:
    """mailvault's snapshots, oldest first."""
    engine = Engine.open(config)
    engine.require_reachable()
    return [row(s) for s in list_snapshots(engine)]
