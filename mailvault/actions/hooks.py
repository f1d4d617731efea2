"""Operator hooks around a backup: shell commands from the config."""

from __future__ import annotations

import logging

from mailvault import execute
from mailvault.errors import MailvaultError

logger = logging.getLogger(__name__)


def run_hooks(commands: list[str], *, stage: str, env: dict[str, str] | None = None) -> None:
    """Run each hook in order through /bin/sh; raise MailvaultError on the first that fails."""
    for command in commands:
        logger.info("running %s hook: %s", stage, execute.mask(command))
        done = execute.run(("/bin/sh", "-c", command), env=env, check=False)
        if done.returncode != 0:
            tail = execute.mask(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else "no output"
            raise MailvaultError(
                f"{stage} hook {execute.mask(command)!r} failed (exit {done.returncode}): {tail}",
                hint=f"fix the command in hooks.{stage}",
            )
