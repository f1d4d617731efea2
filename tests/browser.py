"""Headless Chromium (Debian's `chromium`) for the pages people look at: the DOM after load, the
console messages, a screenshot. No network: every host name resolves to nothing and Chromium's
own background traffic is off, so a page that tried to fetch anything would show it as an error."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

OFFLINE = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
)  # fmt: skip
_CONSOLE = re.compile(r"CONSOLE|Uncaught|net::ERR_|Failed to load|Refused to")


@dataclass(frozen=True)
class Page:
    dom: str
    console: list[str]  # console messages and load errors Chromium logged
    seconds: float  # Chromium's start to the DOM dumped (start-up included)


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "chromium is missing: run scripts/setup (it installs Debian's chromium for these tests)"
    return found


def open_page(path: Path, *, screenshot: Path | None = None) -> Page:
    """Load ``path`` and return its DOM and console; with ``screenshot``, also write a PNG of it."""
    with tempfile.TemporaryDirectory(prefix="mv-chromium-") as profile:
        began = time.monotonic()
        proc = subprocess.run(
            [chromium(), *OFFLINE, f"--user-data-dir={profile}", "--dump-dom", path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        took = time.monotonic() - began
        assert proc.returncode == 0, proc.stderr[-2000:]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            shot = subprocess.run(
                [chromium(), *OFFLINE, f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1600,2600",
                 f"--screenshot={screenshot}", path.resolve().as_uri()],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert shot.returncode == 0 and screenshot.stat().st_size > 0, shot.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if _CONSOLE.search(line)]
    return Page(proc.stdout, console, took)
