"""Backup progress: a bar with counts and ETA on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn

from mailvault.cli.output import human_bytes, say, stderr
from mailvault.tools.restic_output import ResticProgress

PLAIN_INTERVAL_S = 5.0


def _eta(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def plain_line(label: str, st: ResticProgress) -> str:
    """``backup: 120/500 files, 1.0 MiB/4.0 MiB (25%), ETA 0:00:30``"""
    return (
        f"{label}: {st.files_done}/{st.total_files} files, "
        f"{human_bytes(st.bytes_done)}/{human_bytes(st.total_bytes)} ({st.percent * 100:.0f}%), "
        f"ETA {_eta(st.seconds_remaining)}"
    )


@contextmanager
def restic_progress(label: str, *, enabled: bool = True) -> Iterator[Callable[[ResticProgress], None]]:
    """Yield a callable taking restic progress events and showing them on stderr."""
    if not enabled:
        yield lambda st: None
        return
    if sys.stderr.isatty():
        bar = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.fields[files]} files"),
            TextColumn("{task.fields[bytes]}"),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
        )
        task = bar.add_task(label, total=1.0, files="0/?", bytes="", start=False)

        def show(st: ResticProgress) -> None:
            if not bar.live.is_started:  # start with restic's first report, after the log lines before it
                bar.start()
                bar.start_task(task)
            bar.update(
                task,
                completed=st.percent,
                files=f"{st.files_done}/{st.total_files}",
                bytes=f"{human_bytes(st.bytes_done)}/{human_bytes(st.total_bytes)}",
            )

        try:
            yield show
        finally:
            bar.stop()
        return
    yield PlainProgress(label, write=say)


class PlainProgress:
    """Progress as a plain line every ``interval`` seconds, for logs and pipes.

    restic's first report comes before its scanner has counted anything ("0/1 files"); lines start
    with the first report of real progress.
    """

    def __init__(
        self,
        label: str,
        *,
        write: Callable[[str], None],
        interval: float = PLAIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.write = write
        self.interval = interval
        self.clock = clock
        self.last: float | None = None

    def __call__(self, st: ResticProgress) -> None:
        if st.files_done == 0 and st.bytes_done == 0:
            return
        now = self.clock()
        if self.last is None or now - self.last >= self.interval:
            self.last = now
            self.write(plain_line(self.label, st))


def task_columns(noun: str) -> tuple[ProgressColumn, ...]:
    """A task's bar: its name (a folder or an account: text, not markup), counts, bytes, rate, ETA."""
    return (
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} " + noun),
        TextColumn("{task.fields[bytes]}"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )


def count_line(task: str, done: int, total: int, nbytes: int, per_s: float, noun: str) -> str:
    """A plain progress line of a copy: messages accounted for (copied, or found already there) out
    of the total, the bytes really copied, and while it goes on its pace and ETA.

    >>> count_line("alice", 32, 32, 247, 0.0, "messages")
    'alice: 32/32 messages done, 247 B copied'
    >>> count_line("alice", 10, 40, 1 << 20, 5.0, "messages")
    'alice: 10/40 messages done, 1.0 MiB copied, 5/s, ETA 0:00:06'
    """
    line = f"{task}: {done}/{total} {noun} done, {human_bytes(nbytes)} copied"
    if done >= total:
        return line
    eta = _eta(int((total - done) / per_s)) if per_s > 0 else "?"
    return f"{line}, {per_s:.0f}/s, ETA {eta}"


@contextmanager
def count_progress(noun: str) -> Iterator[Callable[[str, int, int, int], None]]:
    """Progress of several tasks at once (one per account): ``show(task, done, bytes, total)``; a bar
    per task with counts, bytes, rate and ETA on a terminal, a plain line per task every few seconds
    otherwise."""
    started: dict[str, tuple[float, int]] = {}

    def rate(task: str, done: int) -> float:
        """Per second since the task's first report (what was already done then does not count)."""
        began, first = started.setdefault(task, (time.monotonic(), done))
        elapsed = time.monotonic() - began
        return (done - first) / elapsed if elapsed > 0.2 else 0.0

    if sys.stderr.isatty():
        bar = Progress(*task_columns(noun), console=stderr, transient=True)
        tasks: dict[str, object] = {}
        bar.start()

        def show(task: str, done: int, nbytes: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=max(total, 1), bytes="", rate="")
            bar.update(tasks[task], completed=done, total=max(total, 1),  # type: ignore[arg-type]
                       bytes=human_bytes(nbytes), rate=f"{rate(task, done):.0f}/s")  # fmt: skip

        try:
            yield show
        finally:
            bar.stop()
        return
    last: dict[str, float] = {}

    def plain(task: str, done: int, nbytes: int, total: int) -> None:
        now = time.monotonic()
        per_s = rate(task, done)
        if done >= total or now - last.get(task, 0.0) >= PLAIN_INTERVAL_S:
            last[task] = now
            say(count_line(task, done, total, nbytes, per_s, noun))

    yield plain
