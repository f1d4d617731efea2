"""Import modules in the background while the process waits on a long child (restic).

The importing thread takes the GIL only while the main thread is blocked reading the child's
output, so what the end of a run needs costs no wall time. A module that fails to import here is
ignored: the later real import raises its error where it belongs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence


def preload(modules: Sequence[str]) -> threading.Thread:
    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # reported by the real import, if ever made
                continue

    thread = threading.Thread(target=load, name="preload", daemon=True)
    thread.start()
    return thread
