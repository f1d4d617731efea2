"""`mailvault history`: recent runs from the state database."""

from __future__ import annotations

from mailvault.config.schema import Config
from mailvault.state.db import Run, StateDB
from mailvault.state.paths import StatePaths


def history(config: Config, kind: str | None = None, limit: int = 20) -> list[Run]:
    """The newest ``limit`` runs (of ``kind`` when given), newest first; none before the first run."""
    paths = StatePaths(config.state.dir)
    return StateDB(paths.db).runs(kind, limit) if paths.db.exists() else []
