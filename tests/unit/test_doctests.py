"""The docstring examples are part of the contract: every module's run, and they hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mailvault

# Every module of the package (``__main__`` runs the CLI when imported).
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(mailvault.__path__, "mailvault.") if m.name != "mailvault.__main__"
)


def _examples(name: str) -> int:
    return sum(len(test.examples) for test in doctest.DocTestFinder().find(importlib.import_module(name)))


def test_the_modules_are_found_and_many_carry_examples() -> None:
    with_examples = [name for name in MODULES if _examples(name)]
    assert len(MODULES) > 200 and len(with_examples) >= 60, (len(MODULES), len(with_examples))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), report=True)
    assert result.failed == 0, result
