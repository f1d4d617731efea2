"""What a snapshot's manifest of record says of its backup, as drill findings. Pure.

The churn while restic read the store is information. Messages the snapshot lacks fail the drill,
except in a snapshot that a catch-up pass of the same run superseded (a warning naming the one that
holds them) and in one whose backup was killed before it compared (a warning: an expunge during
that backup cannot be told from a loss).
"""

from __future__ import annotations

from mailvault.drill.judge import Finding, Level
from mailvault.mail import restore_plan
from mailvault.mail.manifest_model import INCOMPLETE, PARTIAL, SUPERSEDED, UNRECONCILED, Manifest

# state -> (level, what follows "snapshot <id>"); {n}, {where} and {by} are filled in as values
_SAID: dict[str, tuple[Level, str]] = {
    PARTIAL: ("fail", "is partial: {n} message(s) on disk before and after its backup are not in it ({where})"),
    INCOMPLETE: ("fail", "is incomplete: {n} file(s) its backup could not read are not in it ({where})"),
    SUPERSEDED: (
        "warn",
        "lacks {n} message(s) that moved while it was made ({where}); snapshot {by} of the same run holds them",
    ),
    UNRECONCILED: (
        "warn",
        "was never compared with its scan (its backup was killed first): where the restore differs from the"
        " scan, an expunge during that backup cannot be told from a loss (warnings)",
    ),
}


def record_findings(manifest: Manifest, short_id: str) -> list[Finding]:
    """
    >>> from mailvault.mail.manifest_model import MailboxEntry, FolderEntry
    >>> mailbox = MailboxEntry("a@x.org", "/v/a", [FolderEntry("INBOX", "INBOX", 1, 1, None, None, "")])
    >>> m = Manifest("t", "h", ["/v"], [mailbox], state=PARTIAL, missed=["/v/a/cur/1.M1:2,S"])
    >>> record_findings(m, "ab12cd34")[0].message
    'snapshot ab12cd34 is partial: 1 message(s) on disk before and after its backup are not in it (a@x.org INBOX: 1)'
    """
    found = []
    if manifest.churn.any():
        found.append(Finding("pass", "snapshot", (
            f"mail changed while snapshot {short_id} was made: {manifest.churn.text()};"
            " judged against its manifest of record"
        )))  # fmt: skip
    if manifest.state in _SAID:
        level, text = _SAID[manifest.state]
        said = text.format(n=len(manifest.missed), where=_folders_of(manifest), by=(manifest.superseded_by or "")[:8])
        found.append(Finding(level, "snapshot", f"snapshot {short_id} {said}"))
    return found


def _folders_of(manifest: Manifest) -> str:
    """Where the missed messages are: "mailbox folder: N" per folder."""
    dirs: dict[str, int] = {}
    for path in manifest.missed:
        folder = path.rsplit("/", 2)[0]
        dirs[folder] = dirs.get(folder, 0) + 1
    names = {
        restore_plan.folder_dir(m.path, f.name, manifest.folder_layout): f"{m.name} {f.display}"
        for m in manifest.mailboxes
        for f in m.folders
    }
    return ", ".join(f"{names.get(d, d)}: {n}" for d, n in sorted(dirs.items()))
