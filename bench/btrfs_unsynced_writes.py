"""Do read-only btrfs snapshots hold renamed files with 0 bytes when the write was not synced?

Writes 800-byte files through tmp/ -> new/ while taking read-only snapshots of the subvolume, and
counts the files in the snapshots whose size is 0. Modes: ``buffered-fsync`` (Python's buffered
write, then fsync of the fd before the buffer is flushed: nothing is synced; the churn generator
did this until session 12), ``flush-fsync`` (flushed, then synced: what Dovecot does) and
``no-fsync``. As root (mkfs.btrfs and a loop mount in /tmp).

Usage: .venv/bin/python bench/btrfs_unsynced_writes.py MODE [SNAPSHOTS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def writer(store: Path, mode: str, stop: threading.Event, written: list[int]) -> None:
    while not stop.is_set():
        name = f"m{len(written)}"
        with (store / "tmp" / name).open("wb") as fh:
            fh.write(b"x" * 800)
            if mode == "flush-fsync":
                fh.flush()
            if mode != "no-fsync":
                os.fsync(fh.fileno())
        os.rename(store / "tmp" / name, store / "new" / name)
        written.append(1)


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 150
    root = Path(f"/tmp/btrfs-unsynced-{mode}")
    subprocess.run(["umount", "-l", str(root / "fs")], capture_output=True)
    sh("rm", "-rf", str(root))
    (root / "fs").mkdir(parents=True)
    sh("truncate", "-s", "400M", str(root / "img"))
    sh("mkfs.btrfs", "-q", str(root / "img"))
    sh("mount", "-o", "loop", str(root / "img"), str(root / "fs"))
    store = root / "fs" / "v"
    sh("btrfs", "subvolume", "create", str(store))
    for sub in ("tmp", "new"):
        (store / sub).mkdir()
    stop, written = threading.Event(), []
    thread = threading.Thread(target=writer, args=(store, mode, stop, written))
    thread.start()
    held = empty = 0
    try:
        for n in range(count):
            snap = root / "fs" / f"s{n}"
            sh("btrfs", "subvolume", "snapshot", "-r", str(store), str(snap))
            for entry in os.scandir(snap / "new"):
                held += 1
                empty += entry.stat().st_size == 0
            sh("btrfs", "subvolume", "delete", str(snap))
            for entry in os.scandir(store / "new"):
                os.unlink(entry.path)
    finally:
        stop.set()
        thread.join()
        subprocess.run(["umount", "-l", str(root / "fs")], check=False)
    print(f"{mode}: {count} snapshots, {len(written)} files written, {held} in snapshots, {empty} of them 0 bytes")


if __name__ == "__main__":
    main()
