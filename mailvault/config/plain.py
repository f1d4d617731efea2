"""Checking a parsed TOML table into a frozen dataclass, without pydantic.

For files read by commands that must start fast (`migrate run` on an unchanged mailbox finishes in
a third of a second, and importing pydantic would take half of that). Each field has a rule that
returns the value, converted, or raises ValueError with a message for the operator; the problems
come back together as ``path.to.key: message`` lines, as `config validate` prints them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from mailvault.humanize import one_of

T = TypeVar("T")
Rule = Callable[[Any], Any]


class Invalid(Exception):
    """The problems found, one ``path.to.key: message`` line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if lines else "invalid")
        self.lines = lines


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"Input should be a string, not {_kind(value)}")
    return value


def path(value: Any) -> Path:
    return Path(text(value))


def integer(low: int | None = None, high: int | None = None) -> Rule:
    """
    >>> integer(1, 9)("7"), integer(1, 9)(3)
    (7, 3)
    """

    def rule(value: Any) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"Input should be a whole number, not {_kind(value)}")
        if low is not None and value < low:
            raise ValueError(f"Input should be greater than or equal to {low}")
        if high is not None and value > high:
            raise ValueError(f"Input should be less than or equal to {high}")
        return value

    return rule


def positive(value: Any) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"Input should be a number, not {_kind(value)}")
    if value <= 0:
        raise ValueError("Input should be greater than 0")
    return float(value)


def choice(*allowed: str) -> Rule:
    """
    >>> choice("a", "b")("a")
    'a'
    """

    def rule(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"Input should be {one_of([repr(a) for a in allowed])}")
        return str(value)

    return rule


def optional(inner: Rule) -> Rule:
    return lambda value: None if value is None else inner(value)


def build(cls: type[T], data: Any, where: str, rules: Mapping[str, Rule], problems: list[str]) -> T | None:
    """An instance of the dataclass ``cls`` from the table ``data``; None (with ``problems`` added)
    when a key is unknown, missing or wrong."""
    if data is None:
        problems.append(f"{where or '(top level)'}: required key is missing")
        return None
    if not isinstance(data, dict):
        problems.append(f"{where or '(top level)'}: Input should be a table, not {_kind(data)}")
        return None
    found = len(problems)
    values: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            problems.append(f"{_join(where, key)}: unknown key")
    for name, spec in fields.items():
        if name in data:
            try:
                values[name] = rules[name](data[name])
            except ValueError as exc:
                problems.append(f"{_join(where, name)}: {exc}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            problems.append(f"{_join(where, name)}: required key is missing")
    return cls(**values) if len(problems) == found else None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip
