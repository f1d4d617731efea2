"""The docker/podman command lines of a drill, as tuples built by pure functions.

Containers always run with ``--network host`` (never the default bridge: mailvault addresses
only loopback) and carry the ``mailvault.drill`` label so that leftovers can be found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABEL = "mailvault.drill"
KEEP_LABEL = "mailvault.keep-until"
OWNER_LABEL = "mailvault.owner"  # which mailvault (state dir) started it: one never sweeps another's


def owner_of(state_dir: str) -> str:
    """A stable, short name for one mailvault installation on this host (a hash of its state dir)."""
    import hashlib

    return hashlib.sha256(state_dir.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = False

    def arg(self) -> str:
        return f"{self.source}:{self.target}" + (":ro" if self.read_only else "")


def info_argv(cli: str) -> tuple[str, ...]:
    return (cli, "info", "--format", "{{.ServerVersion}}")


def image_exists_argv(cli: str, tag: str) -> tuple[str, ...]:
    return (cli, "image", "inspect", "--format", "{{.Id}}", tag)


def run_argv(cli: str, *, name: str, image: str, labels: Mapping[str, str], mounts: Sequence[Mount]) -> tuple[str, ...]:
    """Start a detached container that only sleeps; the drill's steps run in it with ``exec``.

    >>> labels, mounts = {"mailvault.drill": "1"}, [Mount("/a", "/b", True)]
    >>> argv = run_argv("docker", name="mv-1", image="i:1", labels=labels, mounts=mounts)
    >>> argv[:7]
    ('docker', 'run', '--detach', '--name', 'mv-1', '--network', 'host')
    >>> argv[7:]
    ('--label', 'mailvault.drill=1', '--volume', '/a:/b:ro', 'i:1', 'sleep', 'infinity')
    """
    return (
        cli, "run", "--detach", "--name", name, "--network", "host",
        *(a for k, v in labels.items() for a in ("--label", f"{k}={v}")),
        *(a for m in mounts for a in ("--volume", m.arg())),
        image, "sleep", "infinity",
    )  # fmt: skip


def exec_argv(
    cli: str, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None, detach: bool = False
) -> tuple[str, ...]:
    """Run ``argv`` in the container; ``env`` carries no secrets (those come from mounted files)."""
    return (
        cli, "exec", *(("--detach",) if detach else ()),
        *(a for k, v in (env or {}).items() for a in ("--env", f"{k}={v}")),
        name, *argv,
    )  # fmt: skip


def remove_argv(cli: str, names: Sequence[str]) -> tuple[str, ...]:
    return (cli, "rm", "--force", "--volumes", *names)


def labelled_argv(cli: str, owner: str) -> tuple[str, ...]:
    """This installation's drill containers, running or not: ``NAME<TAB>keep-until label`` per line."""
    return (
        cli,
        "ps",
        "--all",
        "--filter",
        f"label={LABEL}",
        "--filter",
        f"label={OWNER_LABEL}={owner}",
        "--format",
        f'{{{{.Names}}}}\t{{{{.Label "{KEEP_LABEL}"}}}}',
    )
