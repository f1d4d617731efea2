"""Where the drill's restic and Dovecot run: a throwaway container, or private namespaces on this host.

Both give the same three things: a command runner, the paths under which the drill's restore
target, run dir and secrets appear to those commands, and a way to start Dovecot.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute
from mailvault.drill.sandbox import Sandbox
from mailvault.errors import DrillError

logger = logging.getLogger(__name__)
# A private mount and PID namespace: everything started in it dies with it (--kill-child).
UNSHARE = ("unshare", "--mount", "--pid", "--fork", "--kill-child")
# Where the drill's work dirs are mounted in its container.
RESTORE_IN, RUN_IN, SECRETS_IN = "/restore", "/drill", "/run/mailvault-secrets"


@dataclass
class ContainerPlace:
    sandbox: Sandbox
    restore_root: str = RESTORE_IN
    run_dir: str = RUN_IN
    secrets_dir: str = SECRETS_IN
    label: str = "container"

    def exec(self, argv: Sequence[str], *, what: str, env: Mapping[str, str] | None = None,
             check: bool = True, timeout: float | None = None) -> execute.Completed:  # fmt: skip
        return self.sandbox.exec(argv, what=what, env=env, check=check, timeout=timeout)

    def start_dovecot(self, conf: str) -> None:
        """Detached: Dovecot starts (seconds, from a cold cache) while restic restores. What it says on
        its way up (a config error) goes to ``dovecot/start.log`` in the run dir; the drill shows it
        when Dovecot never answers."""
        script = 'exec dovecot -c "$1" >"$2" 2>&1'
        log = f"{self.run_dir}/dovecot/start.log"
        self.sandbox.exec(["sh", "-c", script, "dovecot", conf, log], what="starting Dovecot in the drill container",
                      timeout=60, detach=True)  # fmt: skip

    def start_postfix(self, config_dir: str) -> None:
        """Detached, in the foreground of its exec (the container's removal stops it)."""
        script = 'exec postfix -c "$1" start-fg >"$2" 2>&1'
        log = f"{self.run_dir}/postfix/start.log"
        self.sandbox.exec(["sh", "-c", script, "postfix", config_dir, log], what="starting the restored Postfix",
                          timeout=60, detach=True)  # fmt: skip

    def stop(self) -> None:
        """The container's removal stops everything in it."""


class LocalPlace:
    """For hosts without a container runtime: restic and Dovecot in private mount and PID namespaces.

    In each namespace the drill's work dirs are bind-mounted under ``/run/mailvault-drill``, so the
    restored mail is reachable by Dovecot's mail user there while on the host it stays inside the
    0700 state dir, out of other users' reach.
    """

    label = "local"
    mount_base = "/run/mailvault-drill"

    def __init__(self, work: Path) -> None:
        if shutil.which("unshare") is None or shutil.which("dovecot") is None:
            raise DrillError("--runtime local needs unshare (util-linux) and dovecot", hint="run scripts/setup")
        self.work = work
        self.restore_root = f"{self.mount_base}/restore"
        self.run_dir = f"{self.mount_base}/run"
        self.secrets_dir = f"{self.mount_base}/secrets"
        for sub in ("restore", "run", "secrets"):
            Path(self.mount_base, sub).mkdir(parents=True, exist_ok=True)
        self.dovecot: execute.Background | None = None
        self.postfix: execute.Background | None = None

    def _wrap(self, argv: Sequence[str]) -> tuple[str, ...]:
        binds = " && ".join(
            f'mount --bind "{(self.work / sub).resolve()}" "{self.mount_base}/{sub}"'
            for sub in ("restore", "run", "secrets")
        )
        return (*UNSHARE, "sh", "-c", f'{binds} && exec "$@"', "drill", *argv)

    def exec(self, argv: Sequence[str], *, what: str, env: Mapping[str, str] | None = None,
             check: bool = True, timeout: float | None = None) -> execute.Completed:  # fmt: skip
        # unshare blocks SIGTERM while it waits for its child: only SIGKILL takes it down with mailvault
        return execute.run(self._wrap(argv), env=env, what=what, check=check, timeout=timeout, killed_with_parent=True)

    def start_dovecot(self, conf: str) -> None:
        log = self.work / "run" / "dovecot-foreground.log"
        self.dovecot = execute.Background(self._wrap(["dovecot", "-F", "-c", conf]), log_path=log)

    def start_postfix(self, config_dir: str) -> None:
        log = self.work / "run" / "postfix" / "start.log"
        self.postfix = execute.Background(self._wrap(["postfix", "-c", config_dir, "start-fg"]), log_path=log)

    def stop(self) -> None:
        for child in (self.dovecot, self.postfix):
            if child is not None:
                child.stop(grace=0)  # unshare ignores SIGTERM while it waits: SIGKILL takes the namespace down


Place = ContainerPlace | LocalPlace
