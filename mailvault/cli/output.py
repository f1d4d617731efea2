"""Rendering results: JSON on stdout for scripts, tables for people; logs on stderr."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mailvault import execute

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


class MaskingFilter(logging.Filter):
    """Masks every registered secret in every log record before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = execute.mask(record.getMessage())
        record.args = ()
        return True


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mailvault: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def emit_json(data: Any) -> None:
    sys.stdout.write(execute.mask(json.dumps(data, indent=2, default=str, ensure_ascii=False)) + "\n")


def human_bytes(n: int | None) -> str:
    """``human_bytes(1536)`` -> ``'1.5 KiB'``."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    t = Table(title=title, show_lines=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(*[execute.mask(c) for c in r])
    stdout.print(t)


def key_values(title: str, pairs: list[tuple[str, str]]) -> None:
    stdout.print(f"[bold]{title}[/bold]")
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        stdout.print(f"  {key.ljust(width)}  {execute.mask(value)}", highlight=False)
