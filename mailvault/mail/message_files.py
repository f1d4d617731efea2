"""The hot loop of every folder listing: the message files of one maildir folder, with sizes and
the newest mtime. Filesystem edge, read-only.

It imports only ``os``, so that a listing helper (:mod:`mailvault.mail.listing_helper`) starts in
a few tens of milliseconds; :func:`mailvault.mail.maildir.folder_files` wraps it for everyone else.
"""

from __future__ import annotations

import os

# (files as (base name, size, path relative to the folder) sorted by base name, total bytes,
# newest mtime or None, directories that could not be read)
Listing = tuple[list[tuple[str, int, str]], int, float | None, list[str]]

ATTEMPTS = 3
_REGULAR, _TYPE_MASK = 0o100000, 0o170000


def listing(folder: str) -> Listing:
    """Every message file in ``folder``'s ``cur/`` and ``new/`` (``tmp/`` holds deliveries in progress).

    One ``fstatat`` per message relative to an open directory (as find does), and no per-file
    objects. A live server renames files while we list them (flag changes, new/ to cur/ moves):
    when a listed file is gone, the folder is listed again, up to three times in all.
    """
    for _attempt in range(ATTEMPTS - 1):
        found = _list(folder, tolerate_vanished=False)
        if found is not None:
            return found
    return _list(folder, tolerate_vanished=True) or ([], 0, None, [])


def _list(folder: str, *, tolerate_vanished: bool) -> Listing | None:
    """The folder's files, or None when a file vanished between listing and stat."""
    files: list[tuple[str, int, str]] = []
    unreadable: list[str] = []
    mtimes: list[float] = []
    total = 0
    lstat, add, add_mtime = os.lstat, files.append, mtimes.append  # bound once: this loop runs per message
    for sub in ("cur", "new"):
        path = os.path.join(folder, sub)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except PermissionError:
            unreadable.append(path)
            continue
        prefix = sub + "/"
        try:
            for name in os.listdir(fd):
                if name[0] == ".":
                    continue
                try:
                    st = lstat(name, dir_fd=fd)
                except FileNotFoundError:
                    if tolerate_vanished:
                        continue
                    return None
                if st.st_mode & _TYPE_MASK != _REGULAR:
                    continue
                size = st.st_size
                total += size
                add_mtime(st.st_mtime)
                add((name.partition(":")[0], size, prefix + name))  # maildir.base_name(), inlined: hot loop
        finally:
            os.close(fd)
    files.sort()
    return files, total, max(mtimes) if mtimes else None, unreadable


def names(folder: str) -> list[str]:
    """The message files of ``folder`` as ``cur/<name>`` and ``new/<name>``, without a stat: what an
    unchanged folder (its entry reused from the scan cache) holds, for the reconciliation."""
    found: list[str] = []
    for sub in ("cur", "new"):
        try:
            found += [f"{sub}/{name}" for name in os.listdir(os.path.join(folder, sub)) if name[0] != "."]
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return found


def stats(folder: str) -> dict[str, tuple[int, float]]:
    """``cur/<name>`` -> (size, mtime) for every file in ``folder``'s ``cur/`` and ``new/``: a folder
    listed again after restic, for the reconciliation; size -1 for what is not a regular file. A file
    that vanishes meanwhile is left out."""
    found: dict[str, tuple[int, float]] = {}
    for sub in ("cur", "new"):
        path = os.path.join(folder, sub)
        try:
            entries = os.listdir(path)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for name in entries:
            if name[0] == ".":
                continue
            try:
                st = os.lstat(os.path.join(path, name))
            except FileNotFoundError:
                continue
            # (-1: not a message file, which the reconciliation leaves out of the record)
            found[f"{sub}/{name}"] = (st.st_size, st.st_mtime) if st.st_mode & _TYPE_MASK == _REGULAR else (-1, 0.0)
    return found
