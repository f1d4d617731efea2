"""Listing many maildir folders at once, spread over helper processes. Filesystem edge, read-only.

One Python process lists about 110,000 message files a second on this project's machine: an
``lstat`` per file and the ``stat_result`` it builds take 4.6 µs, and for 50,000 messages that
alone is as long as ``find`` takes for the whole walk. Threads do not help (the GIL), so with many
folders to list, helper processes (:mod:`mailvault.mail.listing_helper`) each list a share
while this process lists its own. Shares are dealt round-robin, so neighbouring folders, which
tend to be alike in size, go to different processes.

A helper that fails costs only time: its share is listed here, and the log says why at debug level.
"""

from __future__ import annotations

import logging
import marshal
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from mailvault import execute
from mailvault.mail.maildir import FolderFiles, folder_files

logger = logging.getLogger(__name__)

# Below this many folders one process lists them all: a helper takes about 50 ms to start.
HELPERS_FROM = 64
MAX_PROCESSES = 4
# Without site (-S) the helper starts in ~25 ms instead of ~95 ms; it finds mailvault through
# PYTHONPATH, set to the directory this package was imported from.
HELPER = (sys.executable, "-S", "-m", "mailvault.mail.listing_helper")
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, which taskset and cgroup cpusets narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def list_many(
    folders: Sequence[Path], *, processes: int | None = None, helpers_from: int = HELPERS_FROM
) -> list[FolderFiles]:
    """``folder_files`` of every folder, in order; with enough folders, over ``processes`` processes
    (default: one per usable CPU, at most :data:`MAX_PROCESSES`)."""
    count = min(MAX_PROCESSES, usable_cpus()) if processes is None else processes
    if count < 2 or len(folders) < max(helpers_from, count):
        return [folder_files(folder) for folder in folders]
    shares = [list(range(first, len(folders), count)) for first in range(count)]
    helpers = [_Helper([folders[i] for i in share]) for share in shares[1:]]
    try:
        found: dict[int, FolderFiles] = {i: folder_files(folders[i]) for i in shares[0]}
        for share, helper in zip(shares[1:], helpers, strict=True):
            answers = helper.answers()
            if answers is None:
                answers = [folder_files(folders[i]) for i in share]
            found.update(zip(share, answers, strict=True))
    finally:  # interrupted (Ctrl-C, SIGTERM) or failed here: no helper outlives the scan
        for helper in helpers:
            helper.stop()
    return [found[i] for i in range(len(folders))]


class _Helper:
    """One helper process listing ``folders``. A thread talks to it (writes its input, reads its
    answer and its stderr together, as ``communicate`` does), so that starting it never waits for
    the new interpreter to read."""

    def __init__(self, folders: list[Path]) -> None:
        self.count = len(folders)
        self.proc: execute.Piped | None = None
        self.failure = ""
        self.output: tuple[bytes, bytes] = (b"", b"")
        try:
            self.proc = execute.start_piped(HELPER, env={"PYTHONPATH": PACKAGE_PARENT})
        except OSError as exc:
            self.failure = f"could not start: {exc}"
            return
        payload = marshal.dumps([os.fsencode(folder) for folder in folders])
        self.talker = threading.Thread(target=self._talk, args=(payload,), name="listing-helper", daemon=True)
        self.talker.start()

    def _talk(self, payload: bytes) -> None:
        assert self.proc is not None
        try:
            self.output = self.proc.communicate(payload)
        except (OSError, ValueError) as exc:  # its pipes broke: answers() reports it
            self.failure = f"could not be read: {exc}"

    def answers(self) -> list[FolderFiles] | None:
        """Its listings in order, or None (logged) when it failed."""
        if self.proc is None:
            logger.debug("folder listing helper %s; listing its share here", self.failure)
            return None
        self.talker.join()
        out, err = self.output
        if self.proc.returncode == 0 and not self.failure:
            try:
                rows = marshal.loads(out)
                if len(rows) == self.count:
                    return [FolderFiles(*row) for row in rows]
            except (EOFError, ValueError, TypeError):
                pass
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [self.failure]
        logger.debug("folder listing helper failed (exit %s) %s; listing its share here", self.proc.returncode, tail[0])
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
