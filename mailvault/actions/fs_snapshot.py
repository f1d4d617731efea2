"""A consistent view of the mail store for one backup: a read-only btrfs snapshot of each maildir
root's subvolume, scanned and backed up in place of the live store, removed afterwards.

The scan reads the snapshot; restic runs in a private mount namespace where each snapshot is bound
over its live path, so the restic snapshot records the live paths. The btrfs snapshot has a fixed
name (``.mailvault-snapshot`` at the subvolume's root; one backup runs at a time per host), so the
next run finds and removes one that a killed run left.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mailvault import execute
from mailvault.errors import CommandFailed, MailvaultError, SourceError
from mailvault.tools import btrfs

logger = logging.getLogger(__name__)
SUBVOLUME_ROOT_INODE = 256  # every btrfs subvolume's top directory


@dataclass
class View:
    """Where each live maildir root is seen: itself, or its place inside the snapshot."""

    roots: dict[Path, Path] = field(default_factory=dict)  # live root -> root to read
    snapshots: list[Path] = field(default_factory=list)

    def read_path(self, live: str) -> str:
        """The path to read for a live path (the snapshot's copy of it, when there is one)."""
        for root, seen in self.roots.items():
            if live == str(root) or live.startswith(f"{root}/"):
                return str(seen) + live[len(str(root)) :]
        return live

    def live_path(self, read: str) -> str:
        for root, seen in self.roots.items():
            if read == str(seen) or read.startswith(f"{seen}/"):
                return str(root) + read[len(str(seen)) :]
        return read

    def binds(self) -> list[tuple[str, str]]:
        return [(str(seen), str(root)) for root, seen in self.roots.items() if seen != root]

    def wrap(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        """``argv`` seeing the snapshots at the live paths (unchanged without snapshots)."""
        binds = self.binds()
        return btrfs.with_binds(binds, argv) if binds else argv


def subvolume_of(path: Path) -> Path:
    """The root of the btrfs subvolume holding ``path``: the nearest directory up whose inode is 256
    on the same device. Raise SourceError when there is none."""
    current = path.resolve()
    dev = current.stat().st_dev
    while True:
        st = current.stat()
        if st.st_dev != dev:
            break
        if st.st_ino == SUBVOLUME_ROOT_INODE:
            return current
        if current.parent == current:
            break
        current = current.parent
    raise SourceError(
        f"sources.snapshot = btrfs: {path} is not inside a btrfs subvolume",
        hint='make the mail store a subvolume (`btrfs subvolume create`), or set sources.snapshot = "none"',
    )


def sweep(roots: Sequence[Path]) -> list[Path]:
    """Remove the snapshots a killed backup left; return them."""
    removed = []
    for subvolume in {subvolume_of(root) for root in roots}:
        left = subvolume / btrfs.SNAPSHOT_NAME
        if left.exists():
            logger.warning("removing the btrfs snapshot %s, left by a backup that did not end cleanly", left)
            _delete(left)
            removed.append(left)
    return removed


@contextmanager
def consistent_view(roots: Sequence[Path], kind: str) -> Iterator[View]:
    """A read-only snapshot per subvolume under ``roots`` for the block (``kind`` "none": the live store)."""
    view = View({root: root for root in roots})
    if kind != "btrfs":
        yield view
        return
    sweep(roots)
    try:
        for subvolume in dict.fromkeys(subvolume_of(root) for root in roots):
            target = subvolume / btrfs.SNAPSHOT_NAME
            try:
                execute.run(btrfs.snapshot_argv(str(subvolume), str(target)), what="btrfs subvolume snapshot")
            except CommandFailed as exc:
                raise MailvaultError(
                    f"sources.snapshot = btrfs: could not snapshot {subvolume}: {exc.one_line()}",
                    hint='run the backup as root on the btrfs filesystem, or set sources.snapshot = "none"',
                ) from exc
            view.snapshots.append(target)
            for root in roots:
                resolved = root.resolve()
                if subvolume_of(root) == subvolume:
                    view.roots[root] = target / os.path.relpath(resolved, subvolume)
        logger.info("backing up from btrfs snapshot(s): %s", ", ".join(map(str, view.snapshots)))
        yield view
    finally:
        for target in view.snapshots:
            _delete(target)


def _delete(target: Path) -> None:
    try:
        execute.run(btrfs.delete_argv(str(target)), what="btrfs subvolume delete", timeout=300)
    except MailvaultError as exc:  # the next run sweeps it; never hide the backup's own outcome
        logger.error("could not remove the btrfs snapshot %s (the next backup will): %s", target, exc.one_line())
