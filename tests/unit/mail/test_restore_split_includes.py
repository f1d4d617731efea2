from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest
from mailvault.mail.restore_plan import plan
from mailvault.mail.restore_split import split_includes as shares


def folder(name: str, messages: int) -> FolderEntry:
    return FolderEntry(name, name, messages, messages * 1000, None, 1, "d")


MANIFEST = Manifest(
    "2026-11-29T00:00:00+00:00",
    "mail",
    ["/var/vmail"],
    [
        MailboxEntry("big@d", "/var/vmail/d/big/Maildir", [folder("INBOX", 900), folder("Sent", 100)]),
        MailboxEntry("mid@d", "/var/vmail/d/mid/Maildir", [folder("INBOX", 600)]),
        MailboxEntry("small@d", "/var/vmail/d/small/Maildir", [folder("INBOX", 300)]),
    ],
)


def test_whole_mailboxes_and_extra_paths_are_dealt_by_their_mail_each_pattern_once() -> None:
    p = plan(MANIFEST, extra_paths=["/etc/postfix"])
    groups = shares(p, 2)
    assert groups == [["/var/vmail/d/big/Maildir"], ["/var/vmail/d/mid/Maildir", "/var/vmail/d/small/Maildir",
                                                     "/etc/postfix"]]  # fmt: skip
    assert sorted(x for g in groups for x in g) == sorted(p.includes)


def test_folders_chosen_by_name_weigh_what_they_hold() -> None:
    p = plan(MANIFEST, mailboxes=["big@d"], folders=["INBOX", "Sent"])
    groups = shares(p, 2)
    assert sorted(x for g in groups for x in g) == sorted(p.includes) and len(groups) == 2
    assert "/var/vmail/d/big/Maildir/cur" in groups[0]  # the 900-message INBOX's parts weigh most


def test_one_process_or_nested_patterns_restore_in_one_group() -> None:
    assert shares(plan(MANIFEST), 1) == [plan(MANIFEST).includes]
    nested = plan(MANIFEST, extra_paths=["/etc/dovecot", "/etc/dovecot/private"])
    assert shares(nested, 4) == [nested.includes]
