"""Rendering results: JSON on stdout for scripts, tables for people; logs on stderr."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import unicodedata
from typing import Any, ClassVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mailvault import execute
from mailvault.humanize import human_bytes

__all__ = ["human_bytes"]

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def shown(text: str) -> str:
    r"""``text`` safe for a terminal: control characters (ESC, BEL, CR, DEL, C1) and bidi overrides,
    which a folder name or a server's reply may hold, written as escapes; line breaks and tabs kept.

    >>> shown("a\x1b[31mred\x1b[0m\tb\rc\u202ed\n")
    'a\\x1b[31mred\\x1b[0m\tb\\rc\\u202ed\n'
    """
    if text.isprintable():
        return text
    return "".join(
        c.encode("unicode_escape").decode("ascii")
        if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _BIDI
        else c
        for c in text
    )


class DataConsole(Console):
    """A console for data: every string it renders goes through :func:`shown` first."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(shown(text), **kwargs)


# Everything printed is data (folder and mailbox names, paths, server replies, config keys such as
# "[repository.s3.prune]"): never read as rich markup, nor as terminal control sequences. Styling is
# given as a Text's style instead.
stdout = DataConsole(soft_wrap=True, markup=False, highlight=False)
stderr = DataConsole(stderr=True, soft_wrap=True, markup=False, highlight=False)


class MaskingFilter(logging.Filter):
    """Masks every registered secret in every log record before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = shown(execute.mask(record.getMessage()))
        record.args = ()
        return True


class JournalFormatter(logging.Formatter):
    """``<N>`` priority prefixes, which journald reads from a service's stderr (sd-daemon(3))."""

    PRIORITIES: ClassVar[dict[int, int]] = {
        logging.CRITICAL: 2,
        logging.ERROR: 3,
        logging.WARNING: 4,
        logging.INFO: 6,
        logging.DEBUG: 7,
    }

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self.PRIORITIES.get(record.levelno, 6)}>mailvault: {record.getMessage()}"


def setup_logging(verbose: int, quiet: bool) -> None:
    """Plain lines on stderr; under systemd (JOURNAL_STREAM) with journald's priority prefixes."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    formatter = JournalFormatter() if os.environ.get("JOURNAL_STREAM") else logging.Formatter("mailvault: %(message)s")
    handler.setFormatter(formatter)
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "apscheduler.scheduler", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def use_timestamps() -> None:
    """A long-running daemon's lines carry their time, unless journald adds it."""
    if os.environ.get("JOURNAL_STREAM"):
        return
    formatter = logging.Formatter("%(asctime)s %(levelname)s mailvault: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)


_SAY = threading.Lock()


def say(line: str) -> None:
    """One progress line on stderr, whole: lines said from several threads at once (the drill's phases
    overlap) never share a line, as print's two writes (text, then newline) let them."""
    with _SAY:
        sys.stderr.write(shown(line) + "\n")
        sys.stderr.flush()


def emit_json(data: Any) -> None:
    sys.stdout.write(execute.mask(json.dumps(data, indent=2, default=str, ensure_ascii=False)) + "\n")


def table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    t = Table(title=Text(shown(title)), show_lines=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(*[execute.mask(c) for c in r])
    stdout.print(t)


def key_values(title: str, pairs: list[tuple[str, str]]) -> None:
    stdout.print(Text(shown(title), style="bold"))
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        stdout.print(f"  {key.ljust(width)}  {execute.mask(value)}")
