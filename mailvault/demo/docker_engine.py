"""The demo's container engine: the machine's own Docker, or one started for the demo on loopback terms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mailvault import execute
from mailvault.errors import DrillError
from mailvault.tools import container


def answers() -> bool:
    try:
        return execute.run(container.info_argv("docker"), check=False, timeout=30).returncode == 0
    except DrillError:
        return False


@contextmanager
def docker_engine(workdir: Path) -> Iterator[bool]:
    """Yield True when this context started dockerd (``--bridge=none --iptables=false``: no networks of
    its own; drills use the host's loopback), False when one was already running. Stops what it started."""
    if answers():
        yield False
        return
    engine = execute.Background(
        ("dockerd", "--bridge=none", "--iptables=false", "--ip-masq=false"), log_path=workdir / "dockerd.log"
    )
    try:
        deadline = time.monotonic() + 60
        while not answers():
            if not engine.alive() or time.monotonic() > deadline:
                raise DrillError("dockerd did not start", hint=f"see {workdir / 'dockerd.log'}")
            time.sleep(0.3)
        yield True
    finally:
        engine.stop(grace=20)
