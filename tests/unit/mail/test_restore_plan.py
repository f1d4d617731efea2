import pytest

from mailvault.errors import RestoreError
from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest
from mailvault.mail.restore_plan import plan


def folder(name: str, display: str | None = None, messages: int = 2) -> FolderEntry:
    return FolderEntry(name, display or name, messages, messages * 100, None, 1, "d")


MANIFEST = Manifest(
    created="2026-11-29T00:00:00+00:00",
    hostname="mail",
    roots=["/var/vmail"],
    mailboxes=[
        MailboxEntry("alice@example.com", "/var/vmail/example.com/alice/Maildir",
                     [folder("INBOX"), folder("Archive.2025", "Archive/2025"), folder("Entw&APw-rfe", "Entwürfe")]),
        MailboxEntry("bob@example.org", "/var/vmail/example.org/bob/Maildir", [folder("INBOX"), folder("Sent")]),
    ],
)  # fmt: skip


def test_no_selector_restores_every_mailbox_whole() -> None:
    p = plan(MANIFEST)
    assert p.includes == ["/var/vmail/example.com/alice/Maildir", "/var/vmail/example.org/bob/Maildir"]
    assert (len(p.folders), p.messages, p.mailboxes) == (5, 10, ["alice@example.com", "bob@example.org"])


def test_a_folder_is_its_cur_new_uidlist_and_keywords_by_disk_or_display_name() -> None:
    p = plan(MANIFEST, mailboxes=["alice@example.com"], folders=["Archive/2025", "INBOX"])
    base = "/var/vmail/example.com/alice/Maildir"
    assert p.includes == [
        f"{base}/cur", f"{base}/new", f"{base}/dovecot-uidlist", f"{base}/dovecot-keywords",
        f"{base}/.Archive.2025/cur", f"{base}/.Archive.2025/new",
        f"{base}/.Archive.2025/dovecot-uidlist", f"{base}/.Archive.2025/dovecot-keywords",
    ]  # fmt: skip
    assert [f.folder.name for f in p.folders] == ["INBOX", "Archive.2025"]


def test_fs_layout_folders_and_glob_characters() -> None:
    odd = Manifest("t", "h", ["/v"], [MailboxEntry("u", "/v/u/Maildir", [folder("Work/[old]*")])], folder_layout="fs")
    p = plan(odd, folders=["Work/[old]*"])
    assert p.includes[0] == "/v/u/Maildir/Work/\\[old\\]\\*/cur"


def test_only_config_and_keys() -> None:
    p = plan(MANIFEST, mail=False, extra_paths=["/etc/postfix", "/etc/opendkim/keys"])
    assert p.includes == ["/etc/postfix", "/etc/opendkim/keys"] and p.folders == []


def test_selectors_that_match_nothing() -> None:
    with pytest.raises(RestoreError, match=r"mailbox alice@example\.con is not in this snapshot") as caught:
        plan(MANIFEST, mailboxes=["alice@example.con"])
    assert caught.value.hint == "did you mean alice@example.com?"
    with pytest.raises(RestoreError, match="no folder named Spam"):
        plan(MANIFEST, folders=["Spam", "Sent"])
    with pytest.raises(RestoreError, match="nothing selected"):
        plan(MANIFEST, mail=False)
