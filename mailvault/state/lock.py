"""One mailvault run at a time per host: an flock on a file in the state dir.

The kernel drops the lock when the holder dies, so a killed run never leaves a stale one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailvault.errors import LockedError


@contextmanager
def host_lock(path: Path, what: str) -> Iterator[None]:
    """Hold the host lock for ``what`` (e.g. "backup"); raise LockedError at once if another run holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another mailvault run"
            raise LockedError(
                f"another mailvault run is in progress ({holder}); this {what} did nothing",
                hint="wait for it to finish; the lock frees itself when that process ends",
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)
