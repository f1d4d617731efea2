"""`mailvault history`: recent runs from the state database."""

from __future__ import annotations

from datetime import UTC, datetime

from mailvault.config.durations import parse_duration
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.state.db import RunRecord, StateDB
from mailvault.state.paths import StatePaths


def parse_since(text: str, now: datetime | None = None) -> str:
    """``--since``: an ISO date or time, or an age such as ``7d``; return an ISO time in UTC."""
    now = now or datetime.now(UTC)
    try:
        return (now - parse_duration(text)).isoformat(timespec="seconds")
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise MailvaultError(
            f"--since {text!r} is neither a date nor an age", hint="write it like 2026-11-01 or 7d"
        ) from None
    return (when if when.tzinfo else when.astimezone()).astimezone(UTC).isoformat(timespec="seconds")


def history(config: Config, kind: str | None = None, limit: int = 20, *, since: str | None = None) -> list[RunRecord]:
    """The newest ``limit`` runs (of ``kind``, since ``since`` when given), newest first."""
    paths = StatePaths(config.state.dir)
    return StateDB(paths.db).runs(kind, limit, since=since) if paths.db.exists() else []
