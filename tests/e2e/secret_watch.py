"""The one secret-leak harness, wrapped around every end-to-end test (see conftest.py).

Each test runs under a :class:`Watch`: restic is reached through a PATH shim that records
the argv of every restic child; /proc/*/cmdline of every process is sampled while the test
runs; every mailvault invocation's stdout and stderr (logs, --json output, error text) is
kept; and at the end the state dirs and any crash report are read. The known secrets of the
test (repository passwords, S3 keys, kit passphrases: whatever a Workspace writes as a
secret) must appear in none of them.
"""

from __future__ import annotations

import glob
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

ARGV_LOG_ENV = "MAILVAULT_TEST_ARGV_LOG"


def write_restic_shim(directory: Path) -> Path:
    """A ``restic`` that appends its argv to $MAILVAULT_TEST_ARGV_LOG, then execs the real one."""
    real = shutil.which("restic")
    assert real, "restic is installed by scripts/setup"
    shim = directory / "restic"
    shim.write_text(
        "#!/bin/sh\n"
        f'if [ -n "${ARGV_LOG_ENV}" ]; then printf "%s\\0" "$0" "$@" >> "${ARGV_LOG_ENV}"; '
        f'printf "\\n" >> "${ARGV_LOG_ENV}"; fi\n'
        f'exec "{real}" "$@"\n'
    )
    shim.chmod(0o755)
    return shim


def read_argv_log(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [line.strip("\0").split("\0") for line in log.read_text().splitlines() if line.strip("\0")]


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
    """Every file under ``root`` whose bytes contain one of ``secrets`` (binary files included).

    A file or directory that vanishes during the walk is skipped: the drill deletes its restored
    copy in the background, and what is gone holds nothing."""
    hits = []
    for top, _dirs, names in os.walk(root):  # os.walk skips a directory that vanished under it
        for name in names:
            path = Path(top, name)
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            hits += [f"{path}: {s[:3]}..." for s in secrets if s.encode() in data]
    return hits


@dataclass
class Watch:
    argv_log: Path
    secrets: set[str] = field(default_factory=set)
    outputs: list[str] = field(default_factory=list)
    state_dirs: list[Path] = field(default_factory=list)
    crash_logs_before: set[str] = field(default_factory=lambda: set(glob.glob("/tmp/mailvault-crash-*")))

    def secret(self, value: str) -> None:
        if len(value) >= 6:  # shorter test values could match by accident
            self.secrets.add(value)

    def argvs(self) -> list[list[str]]:
        return read_argv_log(self.argv_log)

    def leaks(self, cmdlines: set[str]) -> list[str]:
        """Where a known secret showed up; empty when nowhere."""
        found = []
        crash_logs = set(glob.glob("/tmp/mailvault-crash-*")) - self.crash_logs_before
        crash_text = [Path(p).read_text(errors="replace") for p in crash_logs]
        for secret in sorted(self.secrets):
            tag = secret[:3] + "..."
            if any(secret in " ".join(argv) for argv in self.argvs()):
                found.append(f"{tag} in a restic argv")
            if any(secret in line for line in cmdlines):
                found.append(f"{tag} in a process's /proc/PID/cmdline")
            if any(secret in text for text in self.outputs):
                found.append(f"{tag} in mailvault's stdout or stderr")
            if any(secret in text for text in crash_text):
                found.append(f"{tag} in a crash report")
        for state in self.state_dirs:
            if state.exists():
                found += [f"in a state file: {hit}" for hit in files_containing(state, sorted(self.secrets))]
        return found


CURRENT: list[Watch] = []  # the watch of the running test (set by the autouse fixture)


def current() -> Watch | None:
    return CURRENT[-1] if CURRENT else None
