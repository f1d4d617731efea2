"""A live mail host in miniature: mail arriving, clients reading, flagging and expunging, while a
backup or a drill runs. For the demo, the tests and the benchmarks.

Each change is what Dovecot does on disk:

- delivery: write ``tmp/<name>``, then rename it into ``new/`` (a message is never half there);
- a client reads new mail: rename ``new/<name>`` to ``cur/<name>:2,S``;
- a flag change: rename ``cur/<base>:2,<flags>`` to the same base with other flags;
- an expunge: unlink a file in ``cur/``.

The changes run in a thread at ``rate`` per second until :meth:`LiveTraffic.stop`; what was done is
counted, so a test can tell a quiet run from a busy one.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_SEQ = itertools.count(1)
KINDS = ("deliver", "read", "flag", "expunge")


@dataclass
class Done:
    deliver: int = 0
    read: int = 0
    flag: int = 0
    expunge: int = 0

    def total(self) -> int:
        return self.deliver + self.read + self.flag + self.expunge


@dataclass
class LiveTraffic:
    """Changes ``folders`` (maildir folder dirs) at ``rate`` changes a second in a background thread."""

    folders: list[Path]
    rate: float
    seed: int = 7
    expunge: bool = True
    done: Done = field(default_factory=Done)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> LiveTraffic:
        self._thread = threading.Thread(target=self._run, name="churn", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> Done:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.done

    def _run(self) -> None:
        rng = random.Random(self.seed)
        gap = 1.0 / self.rate
        next_at = time.monotonic()
        while not self._stop.is_set():
            change(rng.choice(self.folders), rng, self.done, expunge=self.expunge)
            next_at += gap
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)


def change(folder: Path, rng: random.Random, done: Done, *, expunge: bool = True) -> None:
    """One change in ``folder``, of a kind chosen by ``rng`` (a delivery when there is nothing to change)."""
    kind = rng.choice(KINDS if expunge else KINDS[:3])
    try:
        if kind == "read" and _read_one(folder, rng):
            done.read += 1
        elif kind == "flag" and _reflag_one(folder, rng):
            done.flag += 1
        elif kind == "expunge" and _expunge_one(folder, rng):
            done.expunge += 1
        else:
            deliver(folder, rng)
            done.deliver += 1
    except FileNotFoundError:  # another writer (Dovecot, a second generator) got there first
        pass


def deliver(folder: Path, rng: random.Random) -> Path:
    """A new message through ``tmp/`` into ``new/``, named and dated as Dovecot's LMTP would."""
    now = time.time()
    seq = next(_SEQ)
    body = "".join(rng.choice("abcdefghij klmnop\n") for _ in range(rng.randrange(200, 3000)))
    data = (
        f"From: list{seq}@lists.example\nTo: user@example.org\nSubject: live {seq}\n"
        f"Date: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}\n"
        f"Message-ID: <live{seq}.{os.getpid()}@example>\n\n{body}\n"
    ).encode()
    base = (
        f"{int(now)}.M{int(now * 1e6) % 1000000}P{os.getpid()}Q{seq}.churn,S={len(data)},W={len(data) + data.count(10)}"
    )
    tmp = folder / "tmp" / base
    with tmp.open("wb") as fh:  # as Dovecot saves (mail_fsync = optimized): the data is on disk before the
        fh.write(data)  # rename, so a filesystem snapshot that holds the name holds the message too
        fh.flush()  # (out of Python's buffer first: an fsync before it synced an empty file)
        os.fsync(fh.fileno())
    target = folder / "new" / base
    os.rename(tmp, target)
    return target


def _pick(directory: Path, rng: random.Random) -> str | None:
    try:
        names = [n for n in os.listdir(directory) if not n.startswith(".")]
    except FileNotFoundError:
        return None
    return rng.choice(names) if names else None


def _read_one(folder: Path, rng: random.Random) -> bool:
    name = _pick(folder / "new", rng)
    if name is None:
        return False
    os.rename(folder / "new" / name, folder / "cur" / f"{name}:2,S")
    return True


def _reflag_one(folder: Path, rng: random.Random) -> bool:
    name = _pick(folder / "cur", rng)
    if name is None:
        return False
    base, _, flags = name.partition(":2,")
    flags = "".join(sorted(set(flags) ^ {rng.choice("FRS")}))
    os.rename(folder / "cur" / name, folder / "cur" / f"{base}:2,{flags}")
    return True


def _expunge_one(folder: Path, rng: random.Random) -> bool:
    name = _pick(folder / "cur", rng)
    if name is None:
        return False
    os.unlink(folder / "cur" / name)
    return True


def maildir_folders(root: Path) -> list[Path]:
    """Every maildir folder (a directory with ``cur/``) under ``root``."""
    return sorted(Path(d) for d, subdirs, _ in os.walk(root) if "cur" in subdirs and "new" in subdirs)
