"""Sizes, durations, counts and choices written for people (pure): one formatter each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta


def human_bytes(n: int | None) -> str:
    """``human_bytes(1536)`` -> ``'1.5 KiB'``."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_duration(value: timedelta | float | None) -> str:
    """A measured time or an age, for people (the config's own notation is ``format_duration``).

    >>> [human_duration(s) for s in (4.25, 42, 150, 720, 3720, 26 * 3600, 7 * 86400, 76 * 3600)]
    ['4.2 s', '42 s', '2m 30s', '12m', '1h 02m', '26h', '7d', '3d 4h']
    >>> human_duration(None), human_duration(timedelta(minutes=90))
    ('-', '1h 30m')
    """
    if value is None:
        return "-"
    total = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if total < 59.5:
        return f"{total:.1f} s" if total < 10 else f"{total:.0f} s"
    seconds = round(total)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes}m" + (f" {seconds % 60:02d}s" if seconds % 60 else "")
    if seconds < 48 * 3600:
        return f"{hours}h" + (f" {minutes % 60:02d}m" if minutes % 60 else "")
    return f"{days}d" + (f" {hours % 24}h" if hours % 24 else "")


def count(n: int, noun: str) -> str:
    """``count(1, "message")`` -> ``'1 message'``; ``count(2, "message")`` -> ``'2 messages'``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def one_of(names: Sequence[str]) -> str:
    """The choices, for people.

    >>> one_of(["systemd", "cron", "none"])
    'systemd, cron or none'
    >>> one_of(["local"])
    'local'
    """
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
