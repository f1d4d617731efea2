"""Where things live inside the state dir, and making sure it is usable."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mailvault.errors import MailvaultError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "state.db"

    @property
    def lock(self) -> Path:
        return self.root / "mailvault.lock"

    @property
    def manifest_dir(self) -> Path:
        """Holds the manifest of the run in progress; this directory is inside every snapshot."""
        return self.root / "manifest"

    @property
    def manifest(self) -> Path:
        return self.manifest_dir / "manifest.json"

    @property
    def scan_cache(self) -> Path:
        return self.root / "scan-cache.json"

    @property
    def backup_spool(self) -> Path:
        """restic backup's output while it runs (a line per file saved), removed when it ends."""
        return self.root / "restic-backup.out"

    @property
    def backup_gate(self) -> Path:
        """The FIFO restic's backup waits at until the scan's files are written (actions.restic_gate)."""
        return self.root / "restic-gate.fifo"

    @property
    def scan_names(self) -> Path:
        return self.root / "scan-names.marshal"

    @property
    def message_hashes(self) -> Path:
        """Every message's SHA-256 as the last scan knew them (mailvault.mail.hash_index)."""
        return self.root / "message-hashes.marshal"

    @property
    def coverage(self) -> Path:
        """Which shares of the messages drills have read back in the current cycle (drill.coverage)."""
        return self.root / "coverage.json"

    @property
    def records_dir(self) -> Path:
        """Manifests of record on their way into the repository (see mailvault.actions.records)."""
        return self.root / "records"

    def manifest_copy(self, snapshot_id: str) -> Path:
        return self.root / "manifests" / f"{snapshot_id}.json"

    def ensure(self) -> None:
        """Create the state dir (mode 0700), tighten one that others may read (it holds the run history,
        mailbox names and message paths) and prove it is writable; raise MailvaultError otherwise."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            tighten(self.root)
            (self.root / "manifests").mkdir(exist_ok=True, mode=0o700)
            self.manifest_dir.mkdir(exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass
        except OSError as exc:
            raise MailvaultError(
                f"state dir {self.root} is not writable: {exc.strerror}",
                hint="fix state.dir in the config or its permissions",
            ) from exc


def tighten(root: Path) -> None:
    """Make ``root`` 0700 and the files directly in it 0600 when they are more open (packaging makes
    /var/lib/NAME 0755; sqlite makes its database 0644). Refuse a directory others may write to
    that this user cannot tighten: anyone could then replace what mailvault reads back."""
    st = root.stat()
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        try:
            os.chmod(root, 0o700)
        except PermissionError:
            if mode & 0o022:
                raise MailvaultError(
                    f"state dir {root} may be written by other users (mode {mode:04o}) and is not ours to fix",
                    hint=f"run: chmod 700 {root} (as its owner), or set state.dir to a directory of this user",
                ) from None
            logger.warning("state dir %s may be read by other users (mode %04o): run chmod 700 %s", root, mode, root)
            return
        logger.warning("state dir %s was mode %04o, readable by other users: tightened to 0700", root, mode)
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o077:
                os.chmod(entry.path, 0o600)
            elif entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o077:
                os.chmod(entry.path, 0o700)


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temp file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
