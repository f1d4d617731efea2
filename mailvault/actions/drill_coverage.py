"""The drill's coverage share: which messages this drill reads back (before the IMAP check), and
what that proved (after it), kept in the state dir and beside the repository."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailvault.actions import coverage_store
from mailvault.actions.snapshot_pick import manifest_path
from mailvault.config.schema import Config
from mailvault.drill.coverage import Coverage, Proof, share_of
from mailvault.drill.judge import Finding
from mailvault.mail import hash_index
from mailvault.mail.restore_plan import restored
from mailvault.state.paths import StatePaths
from mailvault.tools.restic_output import Snapshot

logger = logging.getLogger(__name__)


@dataclass
class CoverageShare:
    coverage: Coverage
    source: str  # where the state came from: "state dir", "repository", "new"
    slot: int
    index: hash_index.Index  # every message of the snapshot with its backup-time hash
    share: hash_index.Index  # those this drill reads back

    @property
    def messages(self) -> int:
        return sum(len(entries) for entries in self.share.values())


def prepare(config: Config, paths: StatePaths, root: Path, snap: Snapshot) -> CoverageShare | Finding:
    """This drill's share of the restored snapshot at ``root``; a finding saying why there is none."""
    side = restored(root, manifest_path(snap).rpartition("/")[0]) / hash_index.SIDE_DIR
    index = hash_index.read_side_files(side)
    if not index:
        return Finding("pass", "coverage", (
            f"snapshot {snap.short_id} carries no message hashes (made before mailvault kept them):"
            " no coverage share this drill"
        ))  # fmt: skip
    coverage, source = coverage_store.load(config, paths)
    coverage.begin(config.drill.full_coverage_every)
    chosen = coverage.next_slot()
    return CoverageShare(coverage, source, chosen, index, share_of(index, chosen, coverage.every))


def conclude(
    config: Config, paths: StatePaths, share: CoverageShare, proven: tuple[int, int, int], run_id: int, snap: Snapshot
) -> list[Finding]:
    """Record the share as proven when none of it differed (``proven``: matched, absent, differing),
    save the state, and say what the coverage now is."""
    matched, absent, differ = proven
    cov = share.coverage
    label = f"coverage share {share.slot + 1} of {cov.every} (cycle {cov.cycle})"
    found: list[Finding] = []
    if differ:
        found.append(Finding("fail", "coverage", (
            f"{label}: {differ} of its {share.messages} messages differ from their backup-time SHA-256; the share"
            " is not proven and is the next drill's share again"
        )))  # fmt: skip
    else:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        cov.record(share.slot, Proof(at, run_id, snap.id, matched), share.index)
        gone = f"; {absent} were not in the snapshot (expunged while the backup ran)" if absent else ""
        found.append(Finding("pass", "coverage", f"{label}: {matched} messages read back byte for byte match"
                             f" their backup-time SHA-256{gone}. {describe(cov)}"))  # fmt: skip
    if share.source == "repository":
        found.append(Finding("pass", "coverage", "the coverage state was continued from its copy beside the"
                             " repository (this state dir had none or an older one)"))  # fmt: skip
    failed = coverage_store.save(config, paths, cov)
    if failed is not None:
        found.append(Finding("warn", "coverage", (
            f"the coverage state could not be stored beside the repository ({failed}): a host rebuilt from"
            " its backups would start the rotation over"
        )))  # fmt: skip
    return found


def describe(cov: Coverage) -> str:
    """One sentence for people: the cycle's proven share and the mailbox waiting longest.

    >>> describe(Coverage(every=4))
    'This cycle: 0 % of the messages proven (0 of 4 shares).'
    """
    done = len(cov.done)
    text = f"This cycle: {cov.share:.0%} of the messages proven ({done} of {cov.every} shares)".replace("%", " %")
    oldest = cov.oldest_unproven()
    if oldest is not None:
        since = f"last wholly proven {oldest[1]}" if oldest[1] else "never wholly proven yet"
        text += f"; the oldest unproven mailbox is {oldest[0]} ({since})"
    return text + "."
