"""The docstring examples are part of the contract: they run, and they hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "mailvault.mail.reconcile",
    "mailvault.drill.record",
    "mailvault.tools.restic",
    "mailvault.tools.restic_output",
    "mailvault.tools.btrfs",
    "mailvault.mail.manifest_model",
    "mailvault.mail.message_hash",
    "mailvault.drill.report",
    "mailvault.cli.output",
    "mailvault.humanize",
    "mailvault.config.plain",
    "mailvault.mail.hash_index",
    "mailvault.actions.backup",
    "mailvault.tools.doveadm",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0, result
