"""Work on many items spread over helper processes: this process takes one share, each helper
(a ``python -S -m <module>`` that reads a marshal list on stdin and writes one marshal row per item)
another. Threads do not help pure-Python loops (the GIL); processes do, on every CPU this process
may use. Shares are dealt round-robin, so neighbouring items, which tend to be alike, go to
different processes.

A helper that fails costs only time: its share is done here, and the log says why at debug level.
"""

from __future__ import annotations

import logging
import marshal
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from mailvault import execute

T = TypeVar("T")
R = TypeVar("R")

MAX_PROCESSES = 4
# Without site (-S) a helper starts in ~25 ms instead of ~95 ms; it finds mailvault through
# PYTHONPATH, set to the directory this package was imported from.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def helper_argv(module: str) -> tuple[str, ...]:
    return (sys.executable, "-S", "-m", module)


def _start(argv: tuple[str, ...]) -> execute.Piped:
    """A helper process, waiting for its marshal list on stdin (OSError when it cannot start)."""
    return execute.start_piped(argv, env={"PYTHONPATH": PACKAGE_PARENT})


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, which taskset and cgroup cpusets narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Work(Generic[T, R]):
    """One kind of work: done here by ``here``, by a helper started with ``argv``; ``encode`` makes
    an item marshal-able, ``decode`` turns a helper's row into what ``here`` returns."""

    here: Callable[[T], R]
    argv: tuple[str, ...]
    encode: Callable[[T], object]
    decode: Callable[[object], R]
    log: logging.Logger
    what: str  # "folder listing helper"
    fallback: str  # "listing its share here"


class Warm:
    """Helpers started ahead of their work, so that their start-up (~25-50 ms each) runs beside what
    comes first; :func:`spread` hands them their shares. The owner calls :meth:`close`, which stops
    those never used."""

    def __init__(self, argv: tuple[str, ...], count: int) -> None:
        self.argv, self.procs = argv, []
        for _ in range(count):
            try:
                self.procs.append(_start(argv))
            except OSError:
                break

    def take(self, argv: tuple[str, ...]) -> execute.Piped | None:
        return self.procs.pop() if self.procs and argv == self.argv else None

    def close(self) -> None:
        while self.procs:
            proc = self.procs.pop()
            proc.kill()
            proc.communicate()


def helpers_wanted(processes: int | None = None) -> int:
    """How many helpers :func:`spread` starts beside this process (0 on one CPU)."""
    count = min(MAX_PROCESSES, usable_cpus()) if processes is None else processes
    return max(0, count - 1)


def spread(
    work: Work[T, R], items: Sequence[T], *, processes: int | None, helpers_from: int, warm: Warm | None = None
) -> list[R]:
    """``work.here`` of every item, in order; with at least ``helpers_from`` items, over ``processes``
    processes (default: one per usable CPU, at most :data:`MAX_PROCESSES`), ``warm``'s helpers first."""
    count = helpers_wanted(processes) + 1
    if count < 2 or len(items) < max(helpers_from, count):
        return [work.here(item) for item in items]
    shares = [list(range(first, len(items), count)) for first in range(count)]
    helpers = [_Helper(work, [items[i] for i in share], warm.take(work.argv) if warm else None) for share in shares[1:]]
    try:
        found: dict[int, R] = {i: work.here(items[i]) for i in shares[0]}
        for share, helper in zip(shares[1:], helpers, strict=True):
            answers = helper.answers()
            if answers is None:
                answers = [work.here(items[i]) for i in share]
            found.update(zip(share, answers, strict=True))
    finally:  # interrupted (Ctrl-C, SIGTERM) or failed here: no helper outlives the work
        for helper in helpers:
            helper.stop()
    return [found[i] for i in range(len(items))]


class _Helper(Generic[T, R]):
    """One helper process doing a share. A thread talks to it (writes its input, reads its answer
    and its stderr together, as ``communicate`` does), so that starting it never waits for the new
    interpreter to read."""

    def __init__(self, work: Work[T, R], items: list[T], proc: execute.Piped | None = None) -> None:
        self.work, self.count = work, len(items)
        self.proc = proc
        self.failure = ""
        self.output: tuple[bytes, bytes] = (b"", b"")
        try:
            self.proc = proc or _start(work.argv)
        except OSError as exc:
            self.failure = f"could not start: {exc}"
            return
        payload = marshal.dumps([work.encode(item) for item in items])
        self.talker = threading.Thread(target=self._talk, args=(payload,), name=work.what, daemon=True)
        self.talker.start()

    def _talk(self, payload: bytes) -> None:
        assert self.proc is not None
        try:
            self.output = self.proc.communicate(payload)
        except (OSError, ValueError) as exc:  # its pipes broke: answers() reports it
            self.failure = f"could not be read: {exc}"

    def answers(self) -> list[R] | None:
        """Its results in order, or None (logged) when it failed."""
        if self.proc is None:
            self.work.log.debug("%s %s; %s", self.work.what, self.failure, self.work.fallback)
            return None
        self.talker.join()
        out, err = self.output
        if self.proc.returncode == 0 and not self.failure:
            try:
                rows = marshal.loads(out)
                if isinstance(rows, list) and len(rows) == self.count:
                    return [self.work.decode(row) for row in rows]
            except (EOFError, ValueError, TypeError):
                pass
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [self.failure]
        self.work.log.debug(
            "%s failed (exit %s) %s; %s", self.work.what, self.proc.returncode, tail[0], self.work.fallback
        )
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
