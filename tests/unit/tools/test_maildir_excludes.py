from pathlib import Path

from mailvault.tools.maildir_excludes import dovecot_excludes, escape, maildir_base


def test_anchored_patterns_for_maildir_plus_plus() -> None:
    assert dovecot_excludes(Path("/var/vmail/"), "%d/%n/Maildir", "maildir++") == [
        "/var/vmail/*/*/Maildir/tmp",
        "/var/vmail/*/*/Maildir/dovecot.index*",
        "/var/vmail/*/*/Maildir/.*/tmp",
        "/var/vmail/*/*/Maildir/.*/dovecot.index*",
        "/var/vmail/*/*/Maildir/dovecot.list.index*",
        "/var/vmail/*/*/Maildir/dovecot-uidvalidity.*",
    ]


def test_home_layout_fs_folders_and_escaping() -> None:
    assert maildir_base(Path("/home"), "%n/Maildir") == "/home/*/Maildir"
    patterns = dovecot_excludes(Path("/srv/mail[old]"), "%n/Maildir", "fs")
    assert patterns[2:4] == [r"/srv/mail\[old\]/*/Maildir/**/tmp", r"/srv/mail\[old\]/*/Maildir/**/dovecot.index*"]
    assert escape("a*b?c") == r"a\*b\?c"
