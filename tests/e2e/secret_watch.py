"""Watching for secrets where they must never be: child argv (captured while running), output, files.

Used by the secret-hygiene tests; later suites can run under the same watch.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path


class ArgvRecorder:
    """A restic wrapper that records every argv it is started with, then execs the real restic."""

    def __init__(self, workdir: Path) -> None:
        self.log = workdir / "restic-argv.log"
        self.wrapper = workdir / "restic-recorder"
        real = shutil.which("restic")
        assert real, "restic is installed by scripts/setup"
        self.wrapper.write_text(
            f'#!/bin/sh\nprintf "%s\\0" "$0" "$@" >> "{self.log}"\nprintf "\\n" >> "{self.log}"\nexec "{real}" "$@"\n'
        )
        self.wrapper.chmod(0o755)

    def argvs(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.strip("\0").split("\0") for line in self.log.read_text().splitlines() if line.strip("\0")]


class ProcScanner:
    """Samples /proc/*/cmdline of every process while running, catching argv of any child."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as fh:
                            raw = fh.read()
                    except OSError:
                        continue
                    if raw:
                        self.seen.add(raw.replace(b"\0", b" ").decode(errors="replace"))
            self._stop.wait(self.interval)

    def __enter__(self) -> ProcScanner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def files_containing(root: Path, secrets: list[str]) -> list[str]:
    """Every file under ``root`` whose bytes contain one of ``secrets`` (binary files included)."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {s[:3]}..." for s in secrets if s.encode() in data]
    return hits
