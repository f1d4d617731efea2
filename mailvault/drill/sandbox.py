"""The drill's throwaway container: started on entry, removed on exit whatever happened.

A failed drill's container is kept only when asked (``keep_hours``), labelled with the time
it may be removed; every later drill removes expired and orphaned ones (a drill killed with
SIGKILL leaves its container behind with keep-until 0).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

from mailvault import execute
from mailvault.errors import CommandFailed, DrillError, ToolError
from mailvault.tools import container
from mailvault.tools.container import KEEP_LABEL, LABEL, OWNER_LABEL, Mount

logger = logging.getLogger(__name__)


def pick_cli(preference: str) -> str:
    """``docker`` or ``podman``: the one asked for, else whichever is installed. Raise DrillError when none is."""
    names = [preference] if preference in ("docker", "podman") else ["docker", "podman"]
    for name in names:
        if shutil.which(name):
            return name
    raise DrillError(
        f"no container runtime found ({' or '.join(names)})",
        hint="install docker.io (scripts/setup does), or run the drill with --runtime local",
    )


def require_daemon(cli: str) -> str:
    """The engine's version; raise DrillError saying how to start it when it does not answer."""
    done = execute.run(container.info_argv(cli), check=False, timeout=30, what=f"{cli} info")
    if done.returncode != 0:
        raise DrillError(
            f"{cli} is not running (its daemon does not answer)",
            hint="start it: `systemctl start docker` (without systemd: `dockerd --bridge=none --iptables=false &`)",
            details=[line for line in done.stderr.splitlines() if line.strip()][-3:],
        )
    return done.stdout.strip()


def remove_expired(cli: str, owner: str, *, now: float | None = None) -> list[str]:
    """Remove this installation's drill containers whose keep-until has passed (0: an orphan; the caller
    holds the drill lock, so none of its drills is running). Return their names."""
    now = time.time() if now is None else now
    listed = execute.run(container.labelled_argv(cli, owner), check=False, timeout=60).stdout
    expired = []
    for line in listed.splitlines():
        name, _, keep = line.partition("\t")
        if name and (not keep.strip().isdecimal() or int(keep) < now):
            expired.append(name)
    if expired:
        execute.run(container.remove_argv(cli, expired), check=False, timeout=120)
        logger.info("removed %d leftover drill container(s): %s", len(expired), ", ".join(expired))
    return expired


def kept_runs(cli: str, owner: str) -> set[str]:
    """Run ids of this installation's drill containers still kept (for inspection) after :func:`remove_expired`."""
    listed = execute.run(container.labelled_argv(cli, owner), check=False, timeout=60).stdout
    return {line.split("\t")[0].split("-")[2] for line in listed.splitlines() if line.count("-") >= 3}


class Sandbox:
    def __init__(
        self, cli: str, image: str, run_id: int, mounts: Sequence[Mount], *, owner: str, keep_hours: float = 0
    ) -> None:
        self.cli, self.image, self.run_id, self.mounts, self.owner = cli, image, run_id, list(mounts), owner
        self.keep_hours = keep_hours
        self.name = f"mailvault-drill-{run_id}-{secrets.token_hex(3)}"
        self.failed = False  # the drill sets this; a failed drill's container may be kept
        self.started = False

    def __enter__(self) -> Sandbox:
        keep_until = int(time.time() + self.keep_hours * 3600) if self.keep_hours else 0
        labels = {LABEL: str(self.run_id), KEEP_LABEL: str(keep_until), OWNER_LABEL: self.owner}
        argv = container.run_argv(self.cli, name=self.name, image=self.image, labels=labels, mounts=self.mounts)
        try:
            execute.run(argv, what="starting the drill container", timeout=120)
        except BaseException as exc:  # failed, or interrupted while the engine was creating it: remove by name
            execute.run(container.remove_argv(self.cli, [self.name]), check=False, timeout=60)
            if isinstance(exc, CommandFailed):
                why = f"the drill container did not start from {self.image}"
                raise DrillError(why, details=exc.stderr_tail) from exc
            raise
        self.started = True
        return self

    def exec(
        self,
        argv: Sequence[str],
        *,
        what: str,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        check: bool = True,
        detach: bool = False,
    ) -> execute.Completed:
        return execute.run(
            container.exec_argv(self.cli, self.name, argv, env=env, detach=detach),
            what=what,
            timeout=timeout,
            check=check,
        )

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.started:
            return
        if (self.failed or kind is not None) and self.keep_hours and kind not in (KeyboardInterrupt,):
            logger.warning(
                "kept the failed drill's container %s for %g hours: `%s exec -it %s bash` to look inside",
                self.name, self.keep_hours, self.cli, self.name,
            )  # fmt: skip
            return
        try:
            execute.run(container.remove_argv(self.cli, [self.name]), what="removing the drill container", timeout=120)
        except (CommandFailed, ToolError) as err:
            logger.error("could not remove the drill container %s: %s", self.name, err.one_line())
