"""Every test process (and every CLI it starts) keeps its state in a private directory: a command run
without a config falls back to $STATE_DIRECTORY, never to the host's /var/lib/mailvault."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ["STATE_DIRECTORY"] = tempfile.mkdtemp(prefix="mv-test-state-")
atexit.register(shutil.rmtree, os.environ["STATE_DIRECTORY"], ignore_errors=True)
