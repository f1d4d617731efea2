"""Habits the code keeps (issue 17), checked on every build next to `lint-imports`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "mailvault"
LONGEST = 59  # lines, signature and docstring included


def _functions() -> list[tuple[int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                found.append((length, f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"))
    return found


def test_no_function_is_longer_than_a_screen() -> None:
    too_long = sorted(f for f in _functions() if f[0] > LONGEST)
    assert not too_long, f"split these into named steps: {too_long}"
    assert len(_functions()) > 500, "the walk found the package's functions"


def test_no_two_classes_share_a_name() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(str(path.relative_to(PACKAGE.parent)))
    shared = {name: where for name, where in seen.items() if len(where) > 1}
    assert not shared, f"one name, several classes: {shared}"
