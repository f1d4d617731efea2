"""Coverage over time: each drill reads back one share of the messages over IMAP, byte for byte,
against the hash taken at backup time, so that every ``every`` drills every message has been
proven at least once. Pure: the state is JSON; where it is kept is mailvault.actions.coverage_store.

A message's share is fixed by its backup-time hash (``slot``): it stays in its share through
flag changes, and the shares are even whatever the mailboxes' sizes. A cycle proves the shares in
order; a share whose check found damage is not proven and is the next drill's share again. A
mailbox is proven in a cycle once every share holding one of its messages is: the oldest unproven
mailbox is the one whose last complete proof is oldest (or that was never proven).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from mailvault.mail.hash_index import Index

FORMAT, VERSION = "mailvault-coverage", 1


def slot(digest: str, every: int) -> int:
    """The share of a message with backup-time hash ``digest``.

    >>> slot("0000000c" + "0" * 56, 12), slot("0000000d" + "0" * 56, 12)
    (0, 1)
    """
    return int(digest[:8], 16) % every


def share_of(index: Index, chosen: int, every: int) -> Index:
    """The messages of ``index`` in share ``chosen``."""
    out: Index = {}
    for key, entries in index.items():
        mine = {b: d for b, d in entries.items() if slot(d, every) == chosen}
        if mine:
            out[key] = mine
    return out


@dataclass(frozen=True)
class Proof:
    """One share read back: by which drill, of which snapshot, how many messages matched."""

    at: str
    run_id: int
    snapshot: str
    messages: int


@dataclass
class Coverage:
    every: int = 12
    cycle: int = 1
    started: str | None = None  # when the current cycle's first share was proven
    done: dict[int, Proof] = field(default_factory=dict)
    pending_messages: int = 0  # messages in shares not yet proven this cycle (as of the last drill)
    proven_mailboxes: list[str] = field(default_factory=list)  # wholly proven in this cycle
    last_complete: dict[str, str | None] = field(default_factory=dict)  # mailbox -> when last wholly proven
    cycles_completed: int = 0
    completed_at: str | None = None  # when the last cycle completed
    updated: str | None = None

    @property
    def proven_messages(self) -> int:
        return sum(p.messages for p in self.done.values())

    @property
    def share(self) -> float:
        """The part of the messages proven in this cycle (1.0 once every share is)."""
        if len(self.done) == self.every:
            return 1.0
        total = self.proven_messages + self.pending_messages
        return self.proven_messages / total if total else 0.0

    def next_slot(self) -> int:
        """The first share not proven in this cycle (a cycle just completed starts the next at 0)."""
        return min(set(range(self.every)) - set(self.done), default=0)

    def begin(self, every: int) -> None:
        """Before a drill: a changed ``every`` starts the rotation over; a completed cycle, the next one."""
        if every != self.every:
            self.every, self.done, self.proven_mailboxes, self.started = every, {}, [], None
        elif len(self.done) >= self.every:
            self.cycle, self.done, self.proven_mailboxes, self.started = self.cycle + 1, {}, [], None

    def record(self, chosen: int, proof: Proof, index: Index) -> None:
        """Share ``chosen`` was read back without a difference; ``index`` is the snapshot's."""
        self.done[chosen] = proof
        self.started = self.started or proof.at
        self.updated = proof.at
        slots: dict[str, set[int]] = {}
        counts: Counter[int] = Counter()
        for (mailbox, _folder), entries in index.items():
            mine = slots.setdefault(mailbox, set())
            for digest in entries.values():
                s = slot(digest, self.every)
                mine.add(s)
                counts[s] += 1
        self.pending_messages = sum(n for s, n in counts.items() if s not in self.done)
        proven = set(self.proven_mailboxes)
        for mailbox, needed in slots.items():
            if mailbox not in proven and needed <= set(self.done):
                proven.add(mailbox)
                self.last_complete[mailbox] = proof.at
            self.last_complete.setdefault(mailbox, None)
        self.last_complete = {m: t for m, t in self.last_complete.items() if m in slots}
        self.proven_mailboxes = sorted(proven & set(slots))
        if len(self.done) == self.every:
            self.cycles_completed += 1
            self.completed_at = proof.at

    def oldest_unproven(self) -> tuple[str, str | None] | None:
        """(mailbox, when it was last wholly proven or None) of the mailbox waiting longest."""
        proven = set(self.proven_mailboxes)
        waiting = [(t or "", m) for m, t in self.last_complete.items() if m not in proven]
        if not waiting:
            return None
        since, mailbox = min(waiting)
        return mailbox, since or None

    def summary(self) -> dict[str, Any]:
        """What the report, ``status`` and the metrics show."""
        oldest = self.oldest_unproven()
        return {
            "cycle": self.cycle,
            "every": self.every,
            "shares_proven": len(self.done),
            "share_proven": round(self.share, 4),
            "messages_proven": self.proven_messages,
            "messages_pending": 0 if len(self.done) == self.every else self.pending_messages,
            "mailboxes_unproven": len(self.last_complete) - len(self.proven_mailboxes),
            "oldest_unproven": {"mailbox": oldest[0], "since": oldest[1]} if oldest else None,
            "cycles_completed": self.cycles_completed,
            "completed_at": self.completed_at,
        }

    def to_json(self) -> str:
        data = asdict(self)
        data["done"] = {str(k): v for k, v in data["done"].items()}
        return json.dumps({"format": FORMAT, "version": VERSION, **data}, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Coverage:
        """Parse a saved state; raise ValueError for another format or a newer version."""
        data = json.loads(text)
        if data.pop("format", None) != FORMAT or int(data.pop("version", 0)) > VERSION:
            raise ValueError("not a mailvault coverage state this version understands")
        data["done"] = {int(k): Proof(**v) for k, v in data.get("done", {}).items()}
        return cls(**data)

    def progress(self) -> tuple[int, int, int]:
        """(cycles completed, shares proven this cycle, the cycle's number): which of two states is ahead."""
        return self.cycles_completed, len(self.done), self.cycle


def ahead(a: Coverage | None, b: Coverage | None) -> Coverage | None:
    """The state further on: the state dir's, or the one beside the repository (a rebuilt host)."""
    if a is None or b is None:
        return a or b
    return a if (a.progress(), a.updated or "") >= (b.progress(), b.updated or "") else b
