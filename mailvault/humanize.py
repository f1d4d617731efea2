"""Sizes and durations written for people (pure)."""

from __future__ import annotations

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


def human_age(value: timedelta) -> str:
    """An age or a period: ``45 s``, ``12m``, ``26h``, ``3h 05m``, ``7d``, ``3d 4h``."""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{value.total_seconds():.0f} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes}m"
    if seconds < 48 * 3600:
        return f"{hours}h" + (f" {minutes % 60:02d}m" if minutes % 60 else "")
    return f"{days}d" + (f" {hours % 24}h" if hours % 24 else "")


def count(n: int, noun: str) -> str:
    """``count(1, "message")`` -> ``'1 message'``; ``count(2, "message")`` -> ``'2 messages'``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
