"""The state dir holds the run history, mailbox names and message paths: no other local user reads it."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_state_dir_packaging_made_0755_is_tightened_with_what_is_in_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "mailvault"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    (root / "scan-cache.json").write_text("{}")
    (root / "scan-cache.json").chmod(0o644)
    paths = StatePaths(root)
    with caplog.at_level(logging.WARNING):
        paths.ensure()
    assert _mode(root) == 0o700 and _mode(root / "scan-cache.json") == 0o600
    assert "was mode 0755, readable by other users: tightened to 0700" in caplog.text
    db = StateDB(paths.db)
    db.put("k", "v")
    assert _mode(paths.db) == 0o600 and db.get("k") == "v"
    write_atomic(paths.manifest, "{}")
    assert _mode(paths.manifest) == 0o600 and _mode(paths.manifest_dir) == 0o700


def test_a_new_state_dir_is_0700_and_a_tight_one_is_left_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = StatePaths(tmp_path / "a" / "state")
    with caplog.at_level(logging.WARNING):
        paths.ensure()
        paths.ensure()
    assert _mode(paths.root) == 0o700 and caplog.text == ""
