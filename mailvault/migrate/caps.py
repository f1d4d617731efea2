"""The destination provider's upload caps, as the copier honours them (pure, but for the day's tally).

A preset names a provider (``[destination] preset = "gmail"`` in the accounts file). Its caps apply
when that provider is the *destination*, when mail is uploaded to Gmail or Office 365; as a source a
preset only changes how folders map (imap/folders.py). A rollback turns the file around, so the caps
of a source provider apply to the mail copied back to it.

- a message over ``max_message_bytes`` is not attempted: it is reported as skipped, with the reason;
- the bytes uploaded in any 24 hours stay within ``max_upload_bytes_per_day``: the copy stops before
  the first message that would cross it and says when there is room again. The tally lives in the
  state database, so it holds across runs, and a re-run goes on where the last one stopped;
- ``max_bytes_per_second`` paces the copy as --max-bytes-per-second does (the lower of the two wins);
- ``max_connections`` bounds the connections to the provider for one mailbox.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from mailvault.errors import MailvaultError
from mailvault.humanize import human_bytes
from mailvault.imap.folders import PRESETS

DAY = 86400.0


class DailyCapReached(MailvaultError):
    """The provider's daily upload cap would be crossed: the copy stopped cleanly; run again later."""


@dataclass(frozen=True)
class Caps:
    provider: str | None = None
    max_message_bytes: int | None = None
    max_bytes_per_day: int | None = None
    max_bytes_per_second: float | None = None
    max_connections: int | None = None


def destination_caps(preset: str | None) -> Caps:
    """The caps of the destination's provider; no preset, no caps.

    >>> destination_caps("gmail").max_bytes_per_day
    500000000
    """
    found = PRESETS.get(preset or "")
    if found is None:
        return Caps()
    return Caps(found.name, found.max_message_bytes, found.max_upload_bytes_per_day, found.max_bytes_per_second,
                found.max_connections)  # fmt: skip


def too_large(caps: Caps, size: int) -> str | None:
    """Why a message of ``size`` bytes is not attempted, or None when it may be.

    >>> too_large(destination_caps("gmail"), 30 * 2**20)
    "30.0 MiB is over gmail's limit of 25.0 MiB a message: not attempted"
    """
    if caps.max_message_bytes is None or size <= caps.max_message_bytes:
        return None
    return f"{human_bytes(size)} is over {caps.provider}'s limit of {human_bytes(caps.max_message_bytes)} a message:" \
        " not attempted"  # fmt: skip


def pace(asked: float | None, caps: Caps) -> float | None:
    """The bytes per second to keep to: the lower of --max-bytes-per-second and the provider's rate."""
    rates = [r for r in (asked, caps.max_bytes_per_second) if r]
    return min(rates) if rates else None


def connections(wanted: int, caps: Caps) -> int:
    """Connections to open to the destination for one mailbox: at most the provider's limit."""
    return max(1, min(wanted, caps.max_connections or wanted))


def days_needed(nbytes: int, per_day: int | None) -> int:
    """Days the upload of ``nbytes`` takes at ``per_day`` (1 when there is no cap or nothing to copy).

    >>> days_needed(1_200_000_000, 500_000_000)
    3
    """
    if not per_day or nbytes <= per_day:
        return 1
    return math.ceil(nbytes / per_day)


def plan_notes(caps: Caps, over: dict[str, tuple[int, int]], nbytes: int) -> list[str]:
    """What the caps do to a migration of ``nbytes`` whose folders hold ``over`` (folder -> messages,
    bytes) over the size limit: for `migrate plan`.

    >>> plan_notes(destination_caps("gmail"), {"INBOX": (1, 30 * 2**20)}, 1_200_000_000)[0]
    'gmail as destination: 1 message(s) over its limit of 25.0 MiB a message will be skipped (INBOX: 1)'
    """
    if caps.provider is None:
        return []
    notes = []
    skipped = sum(n for n, _b in over.values())
    if skipped:
        where = ", ".join(f"{folder}: {n}" for folder, (n, _b) in over.items() if n)
        notes.append(f"{caps.provider} as destination: {skipped} message(s) over its limit of"
                     f" {human_bytes(caps.max_message_bytes)} a message will be skipped ({where})")  # fmt: skip
    upload = nbytes - sum(b for _n, b in over.values())
    if caps.max_bytes_per_day and upload > caps.max_bytes_per_day:
        notes.append(
            f"{caps.provider} as destination: {human_bytes(upload)} to upload at {human_bytes(caps.max_bytes_per_day)}"
            f" a day takes {days_needed(upload, caps.max_bytes_per_day)} days; each run stops before the cap and says"
            " when to run again"
        )
    return notes


def room_at(history: Iterable[tuple[float, int]], size: int, per_day: int, now: float) -> float:
    """The first moment, not before ``now``, at which ``size`` more bytes fit in the 24 hours up to it,
    given the uploads in ``history`` as (epoch seconds, bytes). ``size`` must not exceed ``per_day``."""
    window = sorted((at, n) for at, n in history if at > now - DAY)
    used = sum(n for _at, n in window)
    for at, n in [(now - DAY, 0), *window]:
        used -= n
        if used + size <= per_day:
            return max(now, at + DAY)
    raise ValueError(f"{size} bytes never fit in {per_day} a day")


class DailyTally:
    """The bytes uploaded to one destination ``mailbox`` in the last 24 hours, shared by the folder
    workers of a run. ``take`` before sending, ``give_back`` what was not stored; once a take is refused, every
    later one is too (the run stops), and ``reached()`` is the error that says when to run again."""

    def __init__(
        self, caps: Caps, history: Iterable[tuple[float, int]], *, who: str, mailbox: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.caps, self.who, self.mailbox, self.clock = caps, who, mailbox, clock
        self.history = list(history)
        self.this_run = 0
        self.refused: int | None = None  # the size that did not fit
        self.lock = threading.Lock()

    def take(self, size: int) -> bool:
        cap = self.caps.max_bytes_per_day
        if cap is None:
            return True
        with self.lock:
            now = self.clock()
            if self.refused is None and self._used(now) + size <= cap:
                self.history.append((now, size))
                self.this_run += size
                return True
            if self.refused is None:
                self.refused = size
            return False

    def give_back(self, size: int) -> None:
        """A taken size that was not stored after all (refused, or the connection dropped)."""
        if self.caps.max_bytes_per_day is None or size == 0:
            return
        with self.lock:
            for i in range(len(self.history) - 1, -1, -1):
                if self.history[i][1] == size:
                    del self.history[i]
                    self.this_run -= size
                    return

    def _used(self, now: float) -> int:
        return sum(n for at, n in self.history if at > now - DAY)

    def reached(self) -> DailyCapReached:
        cap = self.caps.max_bytes_per_day
        assert cap is not None and self.refused is not None
        with self.lock:
            now = self.clock()
            used = self._used(now)
            when = datetime.fromtimestamp(room_at(self.history, self.refused, cap, now), UTC)
        return DailyCapReached(
            f"{self.who}: stopped before {self.caps.provider}'s upload limit of {human_bytes(cap)} a day:"
            f" {human_bytes(used)} uploaded in the last 24 hours, {human_bytes(self.this_run)} of it by this run",
            hint=f"run again after {when:%Y-%m-%d %H:%M} UTC to go on; nothing is copied twice",
        )
