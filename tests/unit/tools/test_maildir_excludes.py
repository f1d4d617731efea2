import fnmatch
from pathlib import Path

from mailvault.tools.maildir_excludes import INDEX_FILES, dovecot_excludes, escape, maildir_base


def test_anchored_patterns_for_maildir_plus_plus() -> None:
    assert dovecot_excludes(Path("/var/vmail/"), "%d/%n/Maildir", "maildir++") == [
        "/var/vmail/*/*/Maildir/tmp",
        "/var/vmail/*/*/Maildir/dovecot.*index*",
        "/var/vmail/*/*/Maildir/.*/tmp",
        "/var/vmail/*/*/Maildir/.*/dovecot.*index*",
        "/var/vmail/*/*/Maildir/dovecot-uidvalidity.*",
    ]


def test_one_index_pattern_leaves_out_every_index_and_keeps_what_dovecot_cannot_rebuild() -> None:
    """Go's filepath.Match on one path component behaves as fnmatchcase for these names."""
    rebuilt = ["dovecot.index", "dovecot.index.log", "dovecot.index.log.2", "dovecot.index.cache"]
    rebuilt += ["dovecot.list.index", "dovecot.list.index.log", "dovecot.list.index.log.2"]
    kept = ["dovecot-uidlist", "dovecot-keywords", "dovecot.lda-dupes", "dovecot.mailbox.log", "subscriptions"]
    kept += ["maildirfolder", "1700000000.M1P2.host,S=12:2,S"]
    assert [n for n in rebuilt + kept if fnmatch.fnmatchcase(n, INDEX_FILES)] == rebuilt


def test_home_layout_fs_folders_and_escaping() -> None:
    assert maildir_base(Path("/home"), "%n/Maildir") == "/home/*/Maildir"
    patterns = dovecot_excludes(Path("/srv/mail[old]"), "%n/Maildir", "fs")
    assert patterns[2:4] == [r"/srv/mail\[old\]/*/Maildir/**/tmp", r"/srv/mail\[old\]/*/Maildir/**/dovecot.*index*"]
    assert escape("a*b?c") == r"a\*b\?c"
