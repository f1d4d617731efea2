"""Split a whole-snapshot restore into shares that restic processes restore side by side. Pure.

One restic restore of many small files spends most of its time waiting (on the repository, and
on one file's metadata after another), not computing: on 50,000 messages, five processes each
restoring a fifth of the mailboxes took 23 s where one took 32 s, read-back verification included.

The mailboxes are dealt out by weight into shares. Every share but one restores its mailboxes
(``--include``); the last restores everything else, the other shares' mailboxes excluded, so each
path of the snapshot is restored by exactly one process. Before restic starts, the included
mailbox directories are created: the processes then never add entries to a directory another
process restores, and so never disturb the modification time it sets on it.

A selective restore (``mailvault restore``) is already a list of include patterns: those are dealt
the same way (``split_includes``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from mailvault.mail.manifest_model import Manifest
from mailvault.mail.restore_plan import RestorePlan, escape

MAX_PATTERNS = 64  # restic tests every pattern against every path it walks: keep the lists short
BYTES_PER_MESSAGE = 65536  # a message's files cost about as much to restore as 64 KiB of data


@dataclass(frozen=True)
class Share:
    """One restic process's part: ``paths`` restored via ``--include``, or, when ``paths`` is
    empty, everything but ``excluded`` (the other shares' paths)."""

    paths: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def patterns(self) -> tuple[list[str], list[str]]:
        """(includes, excludes) as restic reads them: glob characters escaped.

        >>> Share(paths=("/v/a[1]",)).patterns()
        (['/v/a\\\\[1\\\\]'], [])
        >>> Share(excluded=("/v/a", "/v/b")).patterns()
        ([], ['/v/a', '/v/b'])
        """
        if self.paths:
            return [escape(p) for p in self.paths], []
        return [], [escape(p) for p in self.excluded]


def split(manifest: Manifest, processes: int) -> list[Share]:
    """At most ``processes`` shares; one share (the whole snapshot) when splitting cannot help
    or cannot be done safely."""
    units = _units(manifest)
    if processes < 2 or len(units) < 2:
        return [Share()]
    dealt = deal(units, processes)
    included = [tuple(sorted(paths)) for paths in dealt[:-1]]  # the lightest share also takes the rest
    every = tuple(sorted(path for paths in included for path in paths))
    return [*(Share(paths=paths) for paths in included), Share(excluded=every)]


def split_includes(plan: RestorePlan, processes: int) -> list[list[str]]:
    """A selective restore's include patterns dealt into at most ``processes`` groups by the mail
    under each; one group when a pattern lies inside another (two processes would write the same
    files)."""
    if processes < 2 or len(plan.includes) < 2 or nested(plan.includes):
        return [plan.includes]
    weights = dict.fromkeys(plan.includes, 1)
    folders = {escape(f.path): weight(f.folder.messages, f.folder.bytes) for f in plan.folders}
    for path, mail in folders.items():
        while path not in weights and posixpath.dirname(path) != path:
            path = posixpath.dirname(path)
        if path in weights:
            weights[path] += mail
    for pattern in plan.includes:  # a folder chosen by name is restored as its parts (cur, new, ...)
        weights[pattern] += folders.get(posixpath.dirname(pattern), 0)
    return deal(weights, processes)


def weight(messages: int, nbytes: int) -> int:
    """What restoring some mail costs, in messages.

    >>> weight(10, 3 * BYTES_PER_MESSAGE)
    13
    """
    return messages + nbytes // BYTES_PER_MESSAGE


def deal(weights: dict[str, int], processes: int) -> list[list[str]]:
    """The keys of ``weights`` dealt into at most ``processes`` groups of about equal weight,
    heaviest group first (each next key to the lightest group so far).

    >>> deal({"a": 5, "b": 3, "c": 2, "d": 1}, 2)
    [['a', 'd'], ['b', 'c']]
    """
    groups: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, min(processes, len(weights))))]
    for key, weight in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        lightest = min(range(len(groups)), key=lambda i: groups[i][0])
        load, keys = groups[lightest]
        groups[lightest] = (load + weight, [*keys, key])
    return [keys for _, keys in sorted(groups, key=lambda group: -group[0]) if keys]


def precreate(shares: list[Share]) -> list[str]:
    """The directories to create (under the restore target) before the processes start."""
    return sorted(path for share in shares for path in share.paths)


def _units(manifest: Manifest) -> dict[str, int]:
    """Mailbox directories with their weights, merged into their parent directories (never above a
    maildir root) while there are more than MAX_PATTERNS; empty when no safe split exists."""
    units: dict[str, int] = {}
    for mailbox in manifest.mailboxes:
        path = posixpath.normpath(mailbox.path)
        units[path] = units.get(path, 0) + weight(mailbox.messages, mailbox.bytes) + 1
    roots = {posixpath.normpath(root) for root in manifest.roots}
    while len(units) > MAX_PATTERNS:
        merged: dict[str, int] = {}
        for path, load in units.items():
            parent = posixpath.dirname(path)
            up = path if path in roots or parent in roots or parent == path else parent
            merged[up] = merged.get(up, 0) + load
        if merged == units:  # nothing could climb further
            return {}
        units = merged
    if len(units) > MAX_PATTERNS or nested(list(units)) or any(path in roots for path in units):
        return {}
    return units


def nested(paths: list[str]) -> bool:
    """Whether one path lies inside another (a share would restore part of another's).

    >>> nested(["/v/a", "/v/a-b", "/v/ab"]), nested(["/v/a", "/v/a-b", "/v/a/b"])
    (False, True)
    """
    given = set(paths)
    for path in paths:
        parent = posixpath.dirname(path)
        while parent != path:
            if parent in given:
                return True
            path, parent = parent, posixpath.dirname(parent)
    return False
