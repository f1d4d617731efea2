"""What a migration has copied (SQLite, ``migrate.db`` in the state dir).

A message is recorded only after the destination confirmed its APPEND, keyed by (account, source
folder, UIDVALIDITY, UID), with the destination folder and UID (APPENDUID) and its identity. A run
killed at any instant leaves at most messages that are on the destination but not recorded here;
the next run finds those by identity (see copy.py), so nothing is copied twice. With each batch the
bytes uploaded to the destination mailbox are tallied with their time, for a provider's daily cap.

It also records which engine moved an account (``imap`` or ``doveadm``), before the engine writes
anything: the engines place folders differently (by role, by path), and every later run, sync,
verify and rollback of the account must place them the same way.

Each thread keeps one connection; the file is in WAL mode with synchronous=NORMAL, so a batch's
commit costs no fsync. A crash of the machine may then lose the last commits; that is the same as a
kill between the destination's OK and the record, which the identity match already covers. (With a
connection and a synced commit per batch, the records cost 1.9 s of 5,000 messages' copy.)
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS copied (
    account TEXT NOT NULL,
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    dest_folder TEXT NOT NULL,
    dest_uid INTEGER,
    identity TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS copied_dest ON copied(account, dest_folder);
CREATE TABLE IF NOT EXISTS uploads (
    destination TEXT NOT NULL,
    at REAL NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_at ON uploads(destination, at);
CREATE TABLE IF NOT EXISTS cursors (
    account TEXT NOT NULL,
    folder TEXT NOT NULL,
    side TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account, folder, side)
);
CREATE TABLE IF NOT EXISTS engines (
    account TEXT PRIMARY KEY,
    engine TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Copied:
    uid: int
    dest_folder: str
    dest_uid: int | None
    identity: str
    size: int


class MigrationState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(_SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        with conn:
            yield conn

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def copied(self, account: str, folder: str, uidvalidity: int) -> dict[int, Copied]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT uid, dest_folder, dest_uid, identity, size FROM copied"
                " WHERE account=? AND folder=? AND uidvalidity=?",
                (account, folder, uidvalidity),
            ).fetchall()
        return {r[0]: Copied(*r) for r in rows}

    def dest_uids(self, account: str, dest_folder: str) -> set[int]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT dest_uid FROM copied WHERE account=? AND dest_folder=? AND dest_uid IS NOT NULL",
                (account, dest_folder),
            ).fetchall()
        return {int(r[0]) for r in rows}

    def record(
        self, account: str, folder: str, uidvalidity: int, rows: Iterable[Copied], *,
        uploaded: tuple[str, float, int] | None = None,
    ) -> None:  # fmt: skip
        """Record confirmed copies, all or none; with ``uploaded`` (destination mailbox, epoch seconds,
        bytes) the upload they made, in the same transaction."""
        with self._lock, self._conn() as c:
            c.executemany(
                "INSERT OR REPLACE INTO copied(account, folder, uidvalidity, uid, dest_folder, dest_uid, identity,"
                " size) VALUES (?,?,?,?,?,?,?,?)",
                [(account, folder, uidvalidity, r.uid, r.dest_folder, r.dest_uid, r.identity, r.size) for r in rows],
            )
            if uploaded is not None and uploaded[2]:
                c.execute("INSERT INTO uploads(destination, at, bytes) VALUES (?,?,?)", uploaded)

    def identities_elsewhere(self, account: str, folder: str) -> list[str]:
        """The identities of the messages copied for ``account`` from its other folders, one per copy."""
        with self._conn() as c:
            rows = c.execute("SELECT identity FROM copied WHERE account=? AND folder!=?", (account, folder)).fetchall()
        return [str(r[0]) for r in rows]

    def uploads(self, destination: str, since: float) -> list[tuple[float, int]]:
        """(epoch seconds, bytes) of the uploads to ``destination`` since ``since``."""
        with self._conn() as c:
            rows = c.execute(
                "SELECT at, bytes FROM uploads WHERE destination=? AND at>? ORDER BY at", (destination, since)
            ).fetchall()
        return [(float(r[0]), int(r[1])) for r in rows]

    def forget_folder(self, account: str, folder: str) -> None:
        """A source folder whose UIDVALIDITY changed: its old UIDs mean nothing now."""
        with self._lock, self._conn() as c:
            c.execute("DELETE FROM copied WHERE account=? AND folder=?", (account, folder))

    def cursor(self, account: str, folder: str, side: str) -> str | None:
        with self._conn() as c:
            row = c.execute(
                "SELECT value FROM cursors WHERE account=? AND folder=? AND side=?", (account, folder, side)
            ).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, account: str, folder: str, side: str, value: str) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO cursors(account, folder, side, value) VALUES (?,?,?,?)"
                " ON CONFLICT(account, folder, side) DO UPDATE SET value=excluded.value",
                (account, folder, side, value),
            )

    def engine(self, account: str) -> str | None:
        """The engine that moved ``account`` (None: none yet)."""
        with self._conn() as c:
            row = c.execute("SELECT engine FROM engines WHERE account=?", (account,)).fetchone()
        return str(row[0]) if row else None

    def set_engine(self, account: str, engine: str) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO engines(account, engine) VALUES (?,?)"
                " ON CONFLICT(account) DO UPDATE SET engine=excluded.engine",
                (account, engine),
            )

    def has_copies(self, account: str) -> bool:
        with self._conn() as c:
            return c.execute("SELECT 1 FROM copied WHERE account=? LIMIT 1", (account,)).fetchone() is not None
