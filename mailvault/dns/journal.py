"""The undo journal: every change is written here, with what it replaces, before it is applied.

One JSON file per domain in the state dir (``dns/<domain>/journal.json``), rewritten atomically and
fsynced with its directory, so after a crash at any instant the journal holds every change that may
have reached the server. An entry goes ``pending`` -> ``applied`` (or ``refused``: the server said no,
nothing of it applied) -> ``rolled-back``. A ``pending`` entry after a crash may or may not have been
applied; rollback finds out by reading the zone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailvault.dns.records import Change
from mailvault.state.paths import write_atomic

STATUSES = ("pending", "applied", "refused", "manual", "rolled-back")


@dataclass
class Entry:
    id: int
    step: str
    created: str
    status: str
    changes: list[Change]
    notes: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """May this entry's changes be in the zone now (so rollback must look at it)?"""
        return self.status in ("pending", "applied", "manual")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": self.step,
            "created": self.created,
            "status": self.status,
            "changes": [c.as_dict() for c in self.changes],
            "notes": self.notes,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Entry:
        return Entry(
            int(data["id"]),
            str(data["step"]),
            str(data["created"]),
            str(data["status"]),
            [Change.from_dict(c) for c in data["changes"]],
            list(data.get("notes", [])),
        )


class Journal:
    """The journal of one domain, stored in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "journal.json"

    def entries(self) -> list[Entry]:
        if not self.path.exists():
            return []
        return [Entry.from_dict(e) for e in json.loads(self.path.read_text())["entries"]]

    def _save(self, entries: list[Entry]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, json.dumps({"entries": [e.as_dict() for e in entries]}, indent=1) + "\n")
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself is durable before the change is sent
        finally:
            os.close(fd)

    def append(self, step: str, changes: list[Change], *, status: str = "pending") -> Entry:
        entries = self.entries()
        entry = Entry(
            max((e.id for e in entries), default=0) + 1,
            step,
            datetime.now(UTC).isoformat(timespec="seconds"),
            status,
            changes,
        )
        self._save([*entries, entry])
        return entry

    def mark(self, entry_id: int, status: str, note: str | None = None) -> None:
        assert status in STATUSES
        entries = self.entries()
        for entry in entries:
            if entry.id == entry_id:
                entry.status = status
                if note:
                    entry.notes.append(note)
        self._save(entries)

    def last(self, step: str) -> Entry | None:
        return next((e for e in reversed(self.entries()) if e.step == step and e.status != "refused"), None)
