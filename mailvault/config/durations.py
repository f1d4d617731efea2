"""Human durations such as ``26h`` or ``30d`` used in the config and on the command line."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse ``"26h"``, ``"1h30m"`` or ``"7d"`` into a timedelta.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)

    Raise ValueError naming the accepted units when ``text`` is not a duration.
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration; write it like 26h, 90m, 7d or 1h30m")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def format_duration(value: timedelta) -> str:
    """The compact form of ``value`` in its largest whole unit: 26 hours -> ``"26h"``, 7 days -> ``"7d"``."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
