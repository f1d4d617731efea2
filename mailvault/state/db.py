"""The state database (SQLite): run history and small cursors."""

from __future__ import annotations

import json
import os
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
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_try TEXT NOT NULL,
    next_try TEXT NOT NULL,
    last_error TEXT
);
"""


@dataclass(frozen=True)
class RunRecord:
    """One run in the history (the state database's row; the run in progress is state.run.Run)."""

    id: int
    kind: str
    started: str
    finished: str | None
    status: str  # running | ok | failed | interrupted
    summary: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class Queued:
    """An alert that could not be delivered yet."""

    id: int
    target: str
    payload: str
    attempts: int
    first_try: str
    last_error: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        if path.parent.is_dir() and not path.exists():
            # created 0600 before sqlite would create it 0644 (umask 022): the run history names mailboxes
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))

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

    def runs(
        self, kind: str | None = None, limit: int = 50, *, status: str | None = None, since: str | None = None
    ) -> list[RunRecord]:
        """Newest first; ``since``: an ISO time, runs started at or after it."""
        query = "SELECT id, kind, started, finished, status, summary, error FROM runs WHERE 1=1"
        args: tuple[Any, ...] = ()
        for column, value in (("kind", kind), ("status", status)):
            if value:
                query += f" AND {column}=?"
                args = (*args, value)
        if since:
            query += " AND started>=?"
            args = (*args, since)
        with self._conn() as c:
            rows = c.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6]) for r in rows]

    def last_run(self, kind: str, *, status: str | None = None) -> RunRecord | None:
        found = self.runs(kind, 1, status=status)
        return found[0] if found else None

    def outbox_add(self, target: str, payload: str, error: str) -> None:
        with self._conn() as c:
            c.execute(
                "INSERT INTO outbox(target, payload, attempts, first_try, next_try, last_error) VALUES (?,?,1,?,?,?)",
                (target, payload, _now(), _now(), error),
            )

    def outbox_due(self, now: str) -> list[Queued]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT id, target, payload, attempts, first_try, last_error FROM outbox WHERE next_try<=? ORDER BY id",
                (now,),
            ).fetchall()
        return [Queued(*r) for r in rows]

    def outbox_retry_later(self, entry: int, next_try: str, error: str) -> None:
        with self._conn() as c:
            c.execute(
                "UPDATE outbox SET attempts=attempts+1, next_try=?, last_error=? WHERE id=?", (next_try, error, entry)
            )

    def outbox_drop(self, entry: int) -> None:
        with self._conn() as c:
            c.execute("DELETE FROM outbox WHERE id=?", (entry,))

    def outbox_count(self) -> int:
        with self._conn() as c:
            return int(c.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def get(self, key: str, default: str | None = None) -> str | None:
        with self._conn() as c:
            row = c.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else default

    def delete(self, key: str) -> None:
        with self._conn() as c:
            c.execute("DELETE FROM kv WHERE key=?", (key,))

    def put(self, key: str, value: str) -> None:
        with self._conn() as c:
            c.execute(
                "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )
