"""The state database (SQLite): run history and small cursors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    summary TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Run:
    id: int
    kind: str
    started: str
    finished: str | None
    status: str  # running | ok | failed | interrupted
    summary: dict[str, Any]
    error: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateDB:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.executescript(_SCHEMA)
            with conn:
                yield conn
        finally:
            conn.close()

    def start_run(self, kind: str) -> tuple[int, int]:
        """Record a run as started; return its id and how many earlier runs were found interrupted.

        The caller holds the host lock, so a run still marked running was killed before it could
        finish (power cut, SIGKILL): it is marked interrupted.
        """
        with self._conn() as c:
            killed = c.execute("UPDATE runs SET status='interrupted', finished=? WHERE status='running'", (_now(),))
            cur = c.execute("INSERT INTO runs(kind, started, status) VALUES (?, ?, 'running')", (kind, _now()))
            return int(cur.lastrowid or 0), killed.rowcount

    def finish_run(self, run_id: int, *, ok: bool, summary: dict[str, Any], error: str | None = None) -> None:
        with self._conn() as c:
            c.execute(
                "UPDATE runs SET finished=?, status=?, summary=?, error=? WHERE id=?",
                (_now(), "ok" if ok else "failed", json.dumps(summary), error, run_id),
            )

    def runs(self, kind: str | None = None, limit: int = 50) -> list[Run]:
        query = "SELECT id, kind, started, finished, status, summary, error FROM runs"
        args: tuple[Any, ...] = ()
        if kind:
            query += " WHERE kind=?"
            args = (kind,)
        with self._conn() as c:
            rows = c.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [Run(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6]) for r in rows]

    def get(self, key: str, default: str | None = None) -> str | None:
        with self._conn() as c:
            row = c.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else default

    def put(self, key: str, value: str) -> None:
        with self._conn() as c:
            c.execute(
                "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )
