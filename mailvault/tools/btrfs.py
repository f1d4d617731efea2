"""btrfs command lines, and running a command with snapshot paths bound over the live ones. Pure."""

from __future__ import annotations

from collections.abc import Sequence

SNAPSHOT_NAME = ".mailvault-snapshot"


def snapshot_argv(subvolume: str, target: str) -> tuple[str, ...]:
    """A read-only snapshot of ``subvolume`` at ``target``.

    >>> snapshot_argv("/srv/mail", "/srv/mail/.mailvault-snapshot")
    ('btrfs', 'subvolume', 'snapshot', '-r', '/srv/mail', '/srv/mail/.mailvault-snapshot')
    """
    return ("btrfs", "subvolume", "snapshot", "-r", subvolume, target)


def delete_argv(target: str) -> tuple[str, ...]:
    """Delete a snapshot, waiting for the commit so that a crash right after cannot bring it back."""
    return ("btrfs", "subvolume", "delete", "--commit-after", target)


def show_argv(path: str) -> tuple[str, ...]:
    """Succeeds only for the root of a btrfs subvolume."""
    return ("btrfs", "subvolume", "show", path)


def with_binds(binds: Sequence[tuple[str, str]], argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` in a private mount namespace where each ``(source, target)`` is bind-mounted read-only
    over ``target``: restic reads the snapshot and records the live paths. The paths travel as
    arguments, never inside the script text.

    >>> with_binds([("/s/.snap/v", "/s/v")], ["restic", "backup", "/s/v"])[-7:]
    ('mailvault-snapshot', '1', '/s/.snap/v', '/s/v', 'restic', 'backup', '/s/v')
    """
    script = (
        'n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do'
        ' mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 125; shift 2; i=$((i + 1)); done;'
        ' exec "$@"'
    )
    flat = [path for pair in binds for path in pair]
    return ("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "mailvault-snapshot",
            str(len(binds)), *flat, *argv)  # fmt: skip
