from __future__ import annotations

from pathlib import Path

import pytest

from mailvault.config.schema import StateSection
from mailvault.config.where import FALLBACK_STATE_DIR, default_state_dir


def test_the_state_dir_follows_systemds_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/mailvault-b:/var/lib/other")
    assert default_state_dir() == Path("/var/lib/mailvault-b")
    assert StateSection().dir == Path("/var/lib/mailvault-b")
    assert StateSection(dir=Path("/srv/state")).dir == Path("/srv/state"), "the config wins"


def test_without_it_the_state_dir_is_var_lib_mailvault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATE_DIRECTORY")
    assert default_state_dir() == FALLBACK_STATE_DIR == Path("/var/lib/mailvault")
    monkeypatch.setenv("STATE_DIRECTORY", "")
    assert default_state_dir() == FALLBACK_STATE_DIR
