"""Where the config file is (no pydantic here: commands that never read the config stay quick)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/mailvault/mailvault.toml")
ENV_VAR = "MAILVAULT_CONFIG"


def config_path(explicit: Path | None) -> Path:
    """The config file to use: ``--config``, then ``$MAILVAULT_CONFIG``, then the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_CONFIG_PATH


FALLBACK_STATE_DIR = Path("/var/lib/mailvault")


def default_state_dir() -> Path:
    """The state dir when the config names none: ``$STATE_DIRECTORY`` (systemd sets it for a unit
    with ``StateDirectory=``; the first of several), else /var/lib/mailvault."""
    given = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(given) if given else FALLBACK_STATE_DIR
