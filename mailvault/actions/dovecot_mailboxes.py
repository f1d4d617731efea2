"""``sources.layout = "dovecot"``: every user's maildir as the running Dovecot says, for stores no
%d/%n pattern describes (iRedMail's hashed homes, homes from an LDAP or SQL userdb)."""

from __future__ import annotations

from pathlib import Path

from mailvault import execute
from mailvault.actions.fs_snapshot import View
from mailvault.config.schema import SourcesSection
from mailvault.errors import SourceError
from mailvault.mail.layout import Mailbox
from mailvault.tools import doveadm


def dovecot_mailboxes(src: SourcesSection, view: View) -> list[Mailbox]:
    """Each user's maildir from ``doveadm mailbox path -A INBOX`` (one process for every user), seen
    where the scan reads (the filesystem snapshot, when there is one). SourceError naming the
    mailboxes outside every root: they would not be backed up."""
    done = execute.run(
        doveadm.inbox_paths_argv(src.dovecot_config),
        what="doveadm mailbox path -A INBOX",
        timeout=300,
        hint="layout = dovecot asks the running Dovecot for every user's maildir: is it running?",
    )
    listed = doveadm.parse_inbox_paths(done.stdout)
    if not listed:
        raise SourceError("Dovecot lists no user", hint="check its userdb (`doveadm user '*'`)")
    outside = [f"{user} ({path})" for user, path in listed if not _inside(Path(path), src.maildirs)]
    if outside:
        raise SourceError(
            f"{len(outside)} mailboxes Dovecot lists lie outside sources.maildirs and would not be backed up:"
            f" {', '.join(outside[:5])}",
            hint="add their root to sources.maildirs",
        )
    return [Mailbox(user, Path(view.read_path(path))) for user, path in listed]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)
