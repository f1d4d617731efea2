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
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

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
    found: dict[int, FolderFiles] = {i: folder_files(folders[i]) for i in shares[0]}
    for share, helper in zip(shares[1:], helpers, strict=True):
        answers = helper.answers()
        for i, answer in zip(share, answers if answers is not None else [None] * len(share), strict=True):
            found[i] = answer if answer is not None else folder_files(folders[i])
    return [found[i] for i in range(len(folders))]


class _Helper:
    """One helper process listing ``folders``; its input is written by a thread, so that starting it
    never waits for the new interpreter to read."""

    def __init__(self, folders: list[Path]) -> None:
        self.count = len(folders)
        self.proc: subprocess.Popen[bytes] | None = None
        self.failure = ""
        try:
            self.proc = subprocess.Popen(
                HELPER,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": PACKAGE_PARENT},
            )
        except OSError as exc:
            self.failure = f"could not start: {exc}"
            return
        payload = marshal.dumps([os.fsencode(folder) for folder in folders])
        self.feeder = threading.Thread(target=self._feed, args=(payload,), name="listing-feed", daemon=True)
        self.feeder.start()

    def _feed(self, payload: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except OSError:  # the helper died early: answers() reports its exit
            pass

    def answers(self) -> list[FolderFiles | None] | None:
        """Its listings in order, or None (logged) when it failed."""
        if self.proc is None:
            logger.debug("folder listing helper %s; listing its share here", self.failure)
            return None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.feeder.join()
        out = self.proc.stdout.read()  # the helper writes its answer, then at most a traceback
        err = self.proc.stderr.read()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.proc.returncode == 0:
            try:
                rows = marshal.loads(out)
                if len(rows) == self.count:
                    return [FolderFiles(*row) for row in rows]
            except (EOFError, ValueError, TypeError):
                pass
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        logger.debug("folder listing helper failed (exit %s) %s; listing its share here", self.proc.returncode, tail[0])
        return None
