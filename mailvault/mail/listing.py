"""Listing many maildir folders at once, spread over helper processes. Filesystem edge, read-only.

One Python process lists about 110,000 message files a second on this project's machine: an
``lstat`` per file and the ``stat_result`` it builds take 4.6 µs, and for 50,000 messages that
alone is as long as ``find`` takes for the whole walk. So with many folders to list, helper
processes (:mod:`mailvault.mail.listing_helper`, through :mod:`mailvault.mail.helper_pool`) each
list a share while this process lists its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from mailvault.mail.helper_pool import Warm, Work, helper_argv, helpers_wanted, spread
from mailvault.mail.maildir import FolderFiles, folder_files

logger = logging.getLogger(__name__)


# Below this many folders one process lists them all: a helper takes about 50 ms to start.
HELPERS_FROM = 64
HELPER = helper_argv("mailvault.mail.listing_helper")


def prestart() -> Warm:
    """Listing helpers started now, for a :func:`list_many` that comes soon (close() them after)."""
    return Warm(HELPER, helpers_wanted())


def list_many(
    folders: Sequence[Path], *, processes: int | None = None, helpers_from: int = HELPERS_FROM, warm: Warm | None = None
) -> list[FolderFiles]:
    """``folder_files`` of every folder, in order; with enough folders, over ``processes`` processes
    (default: one per usable CPU, at most 4), ``warm``'s helpers (from :func:`prestart`) first."""
    work: Work[Path, FolderFiles] = Work(
        here=lambda folder: folder_files(folder),  # (looked up per call: tests replace it)
        argv=HELPER,
        encode=os.fsencode,
        decode=lambda row: FolderFiles(*row),  # type: ignore[misc]
        log=logger,
        what="folder listing helper",
        fallback="listing its share here",
    )
    return spread(work, folders, processes=processes, helpers_from=helpers_from, warm=warm)
