"""The drill without a container runtime: private mount and PID namespaces on this host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailvault.errors import DrillError


def run_local(config: Any, st: Any, work: Path, snap: Any, manifest: Any, say: Any) -> bool:
    raise DrillError(
        "--runtime local is not built yet",
        hint="use a container runtime (scripts/setup installs docker.io)",
    )
