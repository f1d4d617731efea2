"""Under systemd (JOURNAL_STREAM set) log lines carry journald's <N> priority prefixes."""

from __future__ import annotations

import logging

import pytest

from mailvault.cli.output import JournalFormatter, setup_logging


def test_priorities() -> None:
    fmt = JournalFormatter()
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "backup: %s", ("slow",), None)
    assert fmt.format(record) == "<4>mailvault: backup: slow"
    record.levelno = logging.ERROR
    assert fmt.format(record).startswith("<3>")


def test_chosen_when_journald_reads_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    setup_logging(0, False)
    assert isinstance(logging.getLogger().handlers[0].formatter, JournalFormatter)
    monkeypatch.delenv("JOURNAL_STREAM")
    setup_logging(0, False)
    assert not isinstance(logging.getLogger().handlers[0].formatter, JournalFormatter)
