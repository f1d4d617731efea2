"""Where the drill keeps the repository password and S3 keys its restic reads: ``work/secrets``, a
link to a directory in RAM (``/dev/shm``) where the host has one, so they never reach a disk. They
are removed as soon as restic is done with them, and a killed drill's are swept by the next."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SHM = Path("/dev/shm")


def make(work: Path) -> Path:
    """Create ``work/secrets`` (0700): in RAM when the host has a writable /dev/shm, else on disk."""
    link = work / "secrets"
    if link.exists() or link.is_symlink():
        return link
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        link.symlink_to(tempfile.mkdtemp(prefix="mailvault-drill-", dir=SHM))
    else:
        link.mkdir(mode=0o700)
    return link


def forget(work: Path) -> None:
    """Remove the secret files, and the RAM directory that held them. ``work/secrets`` stays, empty
    (the drill's later steps still mount it where the secrets were)."""
    link = work / "secrets"
    for path in link.glob("*"):
        path.unlink(missing_ok=True)
    if link.is_symlink():
        shutil.rmtree(os.readlink(link), ignore_errors=True)
        link.unlink(missing_ok=True)
        link.mkdir(mode=0o700)
