"""Judging a drill's numbers against the config's targets, and its findings into a verdict. Pure.

Bands: at or under the target is ``pass``; above it ``warn``; above twice the target ``fail``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Level = Literal["pass", "warn", "fail"]
_ORDER: dict[Level, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Finding:
    level: Level
    phase: str  # "snapshot", "restore", "lint", "serve", "verify", ...
    message: str


def band(value: timedelta, target: timedelta) -> Level:
    """``pass`` up to the target, ``warn`` up to twice it, ``fail`` beyond.

    >>> band(timedelta(hours=30), timedelta(hours=26)), band(timedelta(hours=60), timedelta(hours=26))
    ('warn', 'fail')
    """
    if value <= target:
        return "pass"
    return "warn" if value <= 2 * target else "fail"


def verdict(findings: list[Finding]) -> Level:
    """The worst level among the findings (``pass`` when there are none)."""
    worst: Level = "pass"
    for f in findings:
        if _ORDER[f.level] > _ORDER[worst]:
            worst = f.level
    return worst


def largest_gap(times: list[datetime], *, now: datetime, window: timedelta) -> timedelta | None:
    """The longest stretch without a snapshot over ``window`` before ``now`` (the last stretch ends now).

    >>> from datetime import UTC
    >>> t = [datetime(2026, 11, d, tzinfo=UTC) for d in (1, 2, 5)]
    >>> largest_gap(t, now=datetime(2026, 11, 6, tzinfo=UTC), window=timedelta(days=30))
    datetime.timedelta(days=3)
    """
    recent = sorted(t for t in times if t >= now - window)
    if not recent:
        return None
    edges = [*recent, now]
    return max(b - a for a, b in itertools.pairwise(edges))


def exit_code(level: Level) -> int:
    """The drill's exit code: 0 pass, 1 fail, 2 warn."""
    return {"pass": 0, "fail": 1, "warn": 2}[level]
