"""restic's command lines, as tuples built by pure functions.

Secrets never appear here: the password and S3 keys reach restic through its
environment (see :mod:`mailvault.actions.engine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MIN_VERSION = (0, 14, 0)
TAG = "mailvault"
# A manifest of record is saved as a small snapshot of its own, beside the one it describes (see
# mailvault.actions.records). It carries RECORD_TAG, not TAG: retention and parent selection never
# count it as a backup.
RECORD_TAG = "mailvault-record"


@dataclass(frozen=True)
class ResticRepo:
    """How to address one repository: ``restic -r URL [--cache-dir DIR]``."""

    binary: str
    url: str
    cache_dir: Path | None = None

    def base(self) -> tuple[str, ...]:
        cache = ("--cache-dir", str(self.cache_dir)) if self.cache_dir else ()
        return (self.binary, "-r", self.url, *cache)


@dataclass(frozen=True)
class Retention:
    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0


def version_argv(binary: str) -> tuple[str, ...]:
    return (binary, "version")


def init_argv(repo: ResticRepo) -> tuple[str, ...]:
    return (*repo.base(), "init", "--repository-version", "2")


def cat_config_argv(repo: ResticRepo) -> tuple[str, ...]:
    """Opens the repository (proves the password) without locking it."""
    return (*repo.base(), "cat", "config", "--no-lock")


def backup_argv(
    repo: ResticRepo,
    paths: Sequence[Path],
    *,
    excludes: Sequence[str],
    tags: Sequence[str],
    compression: str,
    dry_run: bool = False,
    listing: bool = False,
    exclude_file: Path | None = None,
) -> tuple[str, ...]:
    """``restic backup`` with JSON progress; with ``listing``, a line for every file saved (``-vv``);
    ``exclude_file`` is read after restic has opened the repository (a gate: actions.restic_gate).

    >>> backup_argv(ResticRepo("restic", "/r"), [Path("/m")], excludes=["x*"], tags=["mailvault"], compression="auto")
    ('restic', '-r', '/r', 'backup', '--json', '--compression', 'auto', '--tag', 'mailvault', '--exclude', 'x*', '/m')
    """
    return (
        *repo.base(),
        "backup",
        "--json",
        *(("-vv",) if listing else ()),
        "--compression",
        compression,
        *(arg for tag in tags for arg in ("--tag", tag)),
        *(arg for pattern in excludes for arg in ("--exclude", pattern)),
        *(("--exclude-file", str(exclude_file)) if exclude_file else ()),
        *(("--dry-run",) if dry_run else ()),
        *(str(p) for p in paths),
    )


def snapshots_argv(repo: ResticRepo, *, tag: str = TAG, records: bool = False) -> tuple[str, ...]:
    """mailvault's snapshots; with ``records``, the snapshots holding their manifests of record too
    (separate ``--tag`` options are alternatives)."""
    return (*repo.base(), "snapshots", "--json", "--no-lock", "--tag", tag, *(("--tag", RECORD_TAG) if records else ()))


def record_tag(snapshot_id: str, state: str, messages: int, size: int) -> str:
    """The tag a record snapshot carries for each snapshot it describes, so `snapshots` can show the
    record's state and totals without reading it.

    >>> record_tag("ab12", "partial", 10, 999)
    'record:ab12:partial:10:999'
    """
    return f"record:{snapshot_id}:{state}:{messages}:{size}"


RECORD_FILE = "mailvault-record.json"


def record_stdin_argv(repo: ResticRepo, run_tag: str) -> tuple[str, ...]:
    """A record snapshot whose one file, the manifest of record, restic reads from its stdin: started
    beside the backup, tagged with the run's tag (which the backup's snapshot carries too).

    >>> record_stdin_argv(ResticRepo("restic", "/r"), "record-run:ab12")[6:]
    ('--stdin-filename', 'mailvault-record.json', '--tag', 'mailvault-record', '--tag', 'record-run:ab12')
    """
    return (*repo.base(), "backup", "--json", "--stdin", "--stdin-filename", RECORD_FILE,
            "--tag", RECORD_TAG, "--tag", run_tag)  # fmt: skip


def record_argv(repo: ResticRepo, files: Sequence[Path], tags: Sequence[str]) -> tuple[str, ...]:
    """Save manifest-of-record files as a snapshot of their own."""
    return (
        *repo.base(),
        "backup",
        "--json",
        "--tag",
        RECORD_TAG,
        *(arg for tag in tags for arg in ("--tag", tag)),
        *(str(p) for p in files),
    )


def forget_argv(repo: ResticRepo, keep: Retention, *, dry_run: bool, tag: str = TAG) -> tuple[str, ...]:
    """``restic forget --prune`` for mailvault's snapshots, grouped by host only.

    Grouping by tags would put every snapshot in its own group (the tags carry
    manifest totals) and so keep everything; grouping by paths would split the
    history whenever a source is added.
    """
    keeps = (
        ("--keep-last", keep.last),
        ("--keep-daily", keep.daily),
        ("--keep-weekly", keep.weekly),
        ("--keep-monthly", keep.monthly),
        ("--keep-yearly", keep.yearly),
    )
    return (
        *repo.base(),
        "forget",
        "--prune",
        "--json",
        "--tag",
        tag,
        "--group-by",
        "host",
        *(arg for flag, n in keeps if n for arg in (flag, str(n))),
        *(("--dry-run",) if dry_run else ()),
    )


def forget_plan_argv(repo: ResticRepo, keep: Retention, *, tag: str = TAG) -> tuple[str, ...]:
    """What ``keep`` would keep and remove, changing nothing and taking no lock (restic 0.14 skips the
    lock for ``forget --dry-run --no-lock``): a drill may ask while a backup runs."""
    argv = forget_argv(repo, keep, dry_run=True, tag=tag)
    return (*repo.base(), "--no-lock", *(a for a in argv[len(repo.base()) :] if a != "--prune"))


def forget_ids_argv(repo: ResticRepo, ids: Sequence[str]) -> tuple[str, ...]:
    """Forget these snapshots (record snapshots whose backups are gone); the next prune frees their data."""
    return (*repo.base(), "forget", *ids)


def check_argv(repo: ResticRepo, *, subset: tuple[int, int] | None) -> tuple[str, ...]:
    """``restic check``, reading data subset ``n/total`` when given.

    >>> check_argv(ResticRepo("restic", "/r"), subset=(3, 12))
    ('restic', '-r', '/r', 'check', '--read-data-subset', '3/12')
    """
    read = ("--read-data-subset", f"{subset[0]}/{subset[1]}") if subset else ()
    return (*repo.base(), "check", *read)


def list_locks_argv(repo: ResticRepo) -> tuple[str, ...]:
    return (*repo.base(), "list", "locks", "--no-lock")


def cat_lock_argv(repo: ResticRepo, lock_id: str) -> tuple[str, ...]:
    return (*repo.base(), "cat", "lock", lock_id, "--no-lock")


def unlock_argv(repo: ResticRepo) -> tuple[str, ...]:
    """``restic unlock`` without ``--remove-all``: removes stale locks only."""
    return (*repo.base(), "unlock")


def stats_argv(repo: ResticRepo, snapshot: str | None = None) -> tuple[str, ...]:
    """The blobs as stored (compressed, encrypted): of the whole repository, or of one ``snapshot``
    (what restoring it downloads, index and cache aside)."""
    return (*repo.base(), "stats", "--json", "--no-lock", "--mode", "raw-data", *((snapshot,) if snapshot else ()))


def dump_argv(repo: ResticRepo, snapshot: str, path: str) -> tuple[str, ...]:
    return (*repo.base(), "dump", "--no-lock", snapshot, path)


def key_list_argv(repo: ResticRepo) -> tuple[str, ...]:
    return (*repo.base(), "key", "list", "--json")


def key_add_argv(repo: ResticRepo, new_password_file: Path) -> tuple[str, ...]:
    """Adds a key; the new password is read from a file restic opens itself, never from argv."""
    return (*repo.base(), "key", "add", "--new-password-file", str(new_password_file))


def key_remove_argv(repo: ResticRepo, key_id: str) -> tuple[str, ...]:
    return (*repo.base(), "key", "remove", key_id)


def restore_argv(
    repo: ResticRepo,
    snapshot: str,
    target: Path,
    *,
    includes: Sequence[str] = (),
    excludes: Sequence[str] = (),
    verify: bool,
    throwaway: bool = False,
) -> tuple[str, ...]:
    """Restore ``snapshot`` under ``target`` (paths keep their absolute form below it); patterns
    as restic reads them (escaped by the caller). ``throwaway``: a one-off reader that keeps no
    cache and takes no lock (the drill's place, which is removed afterwards and must never block a
    backup).

    >>> restore_argv(ResticRepo("restic", "s3:h/b"), "ab12", Path("/t"), excludes=["/v/x"], verify=True,
    ...              throwaway=True)  # doctest: +NORMALIZE_WHITESPACE
    ('restic', '-r', 's3:h/b', '--no-cache', '--no-lock', 'restore', 'ab12', '--target', '/t',
     '--exclude', '/v/x', '--verify')
    """
    return (
        *repo.base(),
        *(("--no-cache", "--no-lock") if throwaway else ()),
        "restore",
        snapshot,
        "--target",
        str(target),
        *(arg for pattern in includes for arg in ("--include", pattern)),
        *(arg for pattern in excludes for arg in ("--exclude", pattern)),
        *(("--verify",) if verify else ()),
    )
