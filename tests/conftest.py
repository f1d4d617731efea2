"""Every test (and every CLI it starts) keeps its state in a private directory: a command run without
a config falls back to $STATE_DIRECTORY, never to the host's /var/lib/mailvault, nor to another
test's. (One directory per test process was shared by the tests of an xdist worker: a migration's
copy state, keyed by user, folder and UIDVALIDITY, could then tell one test that messages of another
were copied already.)"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

os.environ["STATE_DIRECTORY"] = tempfile.mkdtemp(prefix="mv-test-state-")
atexit.register(shutil.rmtree, os.environ["STATE_DIRECTORY"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _own_state_directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    own = tempfile.mkdtemp(prefix="mv-test-state-", dir=os.environ["STATE_DIRECTORY"])
    monkeypatch.setenv("STATE_DIRECTORY", own)
    yield
    shutil.rmtree(own, ignore_errors=True)
