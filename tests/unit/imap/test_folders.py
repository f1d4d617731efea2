"""Folder mapping between unlike servers: separators, namespace prefixes, roles, UTF-7, presets."""

from __future__ import annotations

from mailvault.imap.folders import ListedFolder, Side, map_folders


def f(name: str, *flags: str, delimiter: str = "/") -> ListedFolder:
    return ListedFolder(name, delimiter, frozenset(flags))


# an old provider: '/' separator, no prefix, English special-use names
OLD = Side("/", "", (
    f("INBOX"), f("Sent", "\\Sent"), f("Drafts", "\\Drafts"), f("Trash", "\\Trash"), f("Spam", "\\Junk"),
    f("Archive/2025"), f("Archive", "\\Noselect"), f("Entw&APw-rfe"), f("Kunden/A.B Müller"),
    f("Re&AOc-us/Banque"),
))  # fmt: skip
# this host's Dovecot: '.' separator, INBOX. prefix, other names for the roles
NEW = Side(".", "INBOX.", (
    f("INBOX", delimiter="."), f("INBOX.Sent Messages", "\\Sent", delimiter="."),
    f("INBOX.Drafts", "\\Drafts", delimiter="."), f("INBOX.Deleted Messages", "\\Trash", delimiter="."),
    f("INBOX.Junk", "\\Junk", delimiter="."),
))  # fmt: skip


def test_roles_map_by_role_and_paths_are_re_encoded() -> None:
    plan = map_folders(OLD, NEW)
    got = {m.source: (m.destination, m.why) for m in plan.mappings}
    assert got["INBOX"] == ("INBOX", "INBOX")
    assert got["Sent"] == ("INBOX.Sent Messages", "role \\Sent")
    assert got["Trash"] == ("INBOX.Deleted Messages", "role \\Trash")
    assert got["Spam"] == ("INBOX.Junk", "role \\Junk")
    assert got["Archive/2025"] == ("INBOX.Archive.2025", "same path")
    assert got["Entw&APw-rfe"] == ("INBOX.Entw&APw-rfe", "same path")
    assert got["Re&AOc-us/Banque"] == ("INBOX.Re&AOc-us.Banque", "same path")
    assert got["Kunden/A.B Müller"][0] == "INBOX.Kunden.A_B M&APw-ller"
    assert got["Kunden/A.B Müller"][1].startswith("renamed")
    assert [s for s, _ in plan.skipped] == ["Archive"] and plan.collisions == {}


def test_back_the_other_way_for_rollback() -> None:
    back = Side(".", "INBOX.", (*NEW.folders, f("INBOX.Archive.2025", delimiter=".")))
    plan = map_folders(back, OLD)
    got = {m.source: m.destination for m in plan.mappings}
    assert got["INBOX.Sent Messages"] == "Sent" and got["INBOX.Deleted Messages"] == "Trash"
    assert got["INBOX.Archive.2025"] == "Archive/2025"
    assert next(m for m in plan.mappings if m.source == "INBOX.Archive.2025").exists, "it is there already"


def test_two_sources_on_one_destination_are_a_collision() -> None:
    source = Side("/", "", (f("INBOX"), f("Sent", "\\Sent"), f("Sent Messages")))
    destination = Side("/", "", (f("INBOX"), f("Sent Messages", "\\Sent")))
    assert map_folders(source, destination).collisions == {"Sent Messages": ["Sent", "Sent Messages"]}


def test_a_role_the_destination_lacks_is_created_by_path() -> None:
    source = Side("/", "", (f("INBOX"), f("Archives", "\\Archive")))
    destination = Side("/", "", (f("INBOX"),))
    (_, archive) = map_folders(source, destination).mappings
    assert (archive.destination, archive.why, archive.role, archive.exists) == (
        "Archives",
        "same path",
        "\\Archive",
        False,
    )


def test_gmail_preset_labels_then_all_mail_into_archive_once() -> None:
    gmail = Side("/", "", (
        f("INBOX"), f("[Gmail]", "\\Noselect"), f("[Gmail]/All Mail", "\\All"), f("[Gmail]/Sent Mail", "\\Sent"),
        f("[Gmail]/Starred", "\\Flagged"), f("[Gmail]/Important", "\\Important"), f("[Gmail]/Spam", "\\Junk"),
        f("[Gmail]/Drafts", "\\Drafts"), f("[Gmail]/Bin", "\\Trash"), f("Clients/Acme"), f("[Gmail]/Chats"),
    ))  # fmt: skip
    dovecot = Side("/", "", (f("INBOX"), f("Sent", "\\Sent"), f("Archive", "\\Archive"), f("Junk", "\\Junk")))
    plan = map_folders(gmail, dovecot, preset="gmail")
    got = {m.source: m.destination for m in plan.mappings}
    assert got["[Gmail]/Sent Mail"] == "Sent" and got["[Gmail]/Spam"] == "Junk"
    assert got["[Gmail]/Bin"] == "Bin" and got["[Gmail]/Chats"] == "Chats" and got["Clients/Acme"] == "Clients/Acme"
    assert plan.mappings[-1].source == "[Gmail]/All Mail" and plan.mappings[-1].destination == "Archive"
    assert plan.mappings[-1].dedupe_account
    assert {s for s, _ in plan.skipped} == {"[Gmail]", "[Gmail]/Starred", "[Gmail]/Important"}
    assert plan.collisions == {}


def test_without_the_preset_gmail_all_mail_is_skipped_as_a_view() -> None:
    gmail = Side("/", "", (f("INBOX"), f("[Gmail]/All Mail", "\\All")))
    plan = map_folders(gmail, Side("/", "", (f("INBOX"),)))
    assert [m.source for m in plan.mappings] == ["INBOX"] and plan.skipped[0][0] == "[Gmail]/All Mail"


def test_office365_preset_limits() -> None:
    from mailvault.imap.folders import PRESETS

    assert PRESETS["office365"].max_message_bytes == 35 * 2**20 and PRESETS["gmail"].max_upload_bytes_per_day


def test_by_path_only_as_dsync_places_folders() -> None:
    plan = map_folders(OLD, NEW, by_role=False)
    got = {m.source: (m.destination, m.role) for m in plan.mappings}
    assert got["Sent"] == ("INBOX.Sent", "\\Sent"), "the role is kept for the plan to warn about"
    assert got["Trash"] == ("INBOX.Trash", "\\Trash") and got["Spam"] == ("INBOX.Spam", "\\Junk")
    assert got["Drafts"] == ("INBOX.Drafts", "\\Drafts")
    assert got["Kunden/A.B Müller"][0] == "INBOX.Kunden.A_B M&APw-ller", "dsync renames the separator to _ too"
