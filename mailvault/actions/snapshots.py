"""`mailvault snapshots`: each snapshot with its time, id and manifest totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mailvault.actions.engine import Engine
from mailvault.config.schema import Config
from mailvault.tools import restic
from mailvault.tools.restic_output import Snapshot, parse_snapshots


@dataclass(frozen=True)
class SnapshotRow:
    id: str
    short_id: str
    time: str
    hostname: str
    mailboxes: int | None
    messages: int | None
    bytes: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(snap: Snapshot, key: str) -> int | None:
    value = snap.tag_value(key)
    return int(value) if value is not None and value.isdigit() else None


def row(snap: Snapshot) -> SnapshotRow:
    """A snapshot with the manifest totals mailvault tags it with."""
    return SnapshotRow(
        id=snap.id,
        short_id=snap.short_id,
        time=snap.time.isoformat(timespec="seconds"),
        hostname=snap.hostname,
        mailboxes=_int(snap, "mailboxes"),
        messages=_int(snap, "messages"),
        bytes=_int(snap, "bytes"),
    )


def list_snapshots(config: Config) -> list[Snapshot]:
    engine = Engine.open(config)
    engine.require_reachable()
    return parse_snapshots(engine.run(restic.snapshots_argv(engine.repo), "restic snapshots").stdout)


def snapshots(config: Config) -> list[SnapshotRow]:
    """mailvault's snapshots, oldest first."""
    return [row(s) for s in list_snapshots(config)]
