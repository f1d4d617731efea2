"""restic's backup started before the scan's files are written, held at its exclude file until they are.

restic spends about 0.4 s opening the repository (key derivation, lock, config) before it reads its
exclude files, and only then walks the sources. The backup starts restic as soon as the scan has
its totals (which restic's tags carry) and hashes the new messages and writes the manifest while
restic opens the repository. The gate is a FIFO in the state dir given as ``--exclude-file``:
restic waits there until :meth:`Gate.open` writes a comment line (restic's real excludes are on
its command line). So restic reads no maildir and no manifest file before the scan has listed
every folder and written the manifest, and the snapshot holds the manifest of this run.

:meth:`Gate.abort` writes a pattern restic refuses (``[``): it exits 1 without a snapshot. If
mailvault dies, restic gets SIGTERM with it (every child does, :mod:`mailvault.execute`), wherever
it waits. A FIFO left by a killed run is removed by the next.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

OPEN_TEXT = b"# mailvault: the scan's files are written\n"
ABORT_TEXT = b"[\n"  # an invalid pattern: restic refuses it and exits 1 before it reads any source


class Gate:
    """A FIFO restic reads as its exclude file; a thread holds its writing end until the gate opens."""

    def __init__(self, path: Path) -> None:
        if path.exists() or path.is_symlink():
            logger.warning("removing %s, left by a backup that was killed while restic waited there", path)
            path.unlink()
        os.mkfifo(path, 0o600)
        self.path = path
        self.reached: float | None = None  # when restic opened its exclude file
        self.released: float | None = None  # when the gate opened (or aborted)
        self._text = b""
        self._ready = threading.Event()
        self._holder = threading.Thread(target=self._hold, name="restic-gate", daemon=True)
        self._holder.start()

    def _hold(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # returns when restic opens the FIFO (or close() does)
        self.reached = time.monotonic()
        try:
            self._ready.wait()
            if self._text:
                os.write(fd, self._text)
        finally:
            os.close(fd)

    def open(self) -> None:
        """Let restic go on: the scan's files are written."""
        self._release(OPEN_TEXT)

    def abort(self) -> None:
        """Make restic exit without reading a source (the scan failed)."""
        self._release(ABORT_TEXT)

    def _release(self, text: bytes) -> None:
        if not self._ready.is_set():
            self._text, self.released = text, time.monotonic()
            self._ready.set()

    @property
    def waited(self) -> float:
        """Seconds restic waited at the gate for the scan (0 when the scan was done first)."""
        if self.reached is None or self.released is None:
            return 0.0
        return max(0.0, self.released - self.reached)

    def close(self) -> None:
        """Once restic has ended: free the holder if restic never opened the FIFO, remove the FIFO.
        (A gate never opened aborts first: nothing may read it as an empty exclude file.)"""
        self._release(ABORT_TEXT)
        reader = -1
        if self.reached is None and self._holder.is_alive():
            # restic ended before it read its exclude file (it could not open the repository): a
            # reader of our own lets the holder's open return
            with contextlib.suppress(OSError):
                reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._holder.join(timeout=5)
        if reader >= 0:
            os.close(reader)
        self.path.unlink(missing_ok=True)
