from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest
from mailvault.mail.restore_split import MAX_PATTERNS, Share, precreate, split


def box(path: str, messages: int) -> MailboxEntry:
    inbox = FolderEntry("INBOX", "INBOX", messages, messages * 2000, None, 1, "d")
    return MailboxEntry(path.rsplit("/", 2)[-2], path, [inbox])


def manifest(*boxes: MailboxEntry, roots: tuple[str, ...] = ("/var/vmail",)) -> Manifest:
    return Manifest("2026-11-29T00:00:00+00:00", "mail", list(roots), list(boxes))


def covered(shares: list[Share], paths: list[str]) -> dict[str, int]:
    """How many shares restore each path (as restic decides it: include, or not excluded)."""

    def inside(path: str, under: tuple[str, ...]) -> bool:
        return any(path == p or path.startswith(p + "/") for p in under)

    return {
        path: sum(inside(path, s.paths) if s.paths else not inside(path, s.excluded) for s in shares) for path in paths
    }


def test_every_path_of_the_snapshot_is_restored_by_exactly_one_share() -> None:
    boxes = [box(f"/var/vmail/d{d}/u{u}/Maildir", 10 * (u + 1)) for d in range(3) for u in range(5)]
    shares = split(manifest(*boxes), 4)
    assert len(shares) == 4
    others = ["/etc/postfix/main.cf", "/var/vmail/d0/u0/sieve/x", "/var/vmail"]
    probes = [f"{b.path}/cur/1.mail" for b in boxes] + others
    assert set(covered(shares, probes).values()) == {1}
    assert shares[-1].paths == () and len(shares[-1].excluded) == sum(len(s.paths) for s in shares[:-1])


def test_mailboxes_are_dealt_by_weight_so_no_share_carries_most_of_the_mail() -> None:
    boxes = [box("/var/vmail/d/big/Maildir", 2000)] + [box(f"/var/vmail/d/s{i}/Maildir", 100) for i in range(10)]
    shares = split(manifest(*boxes), 2)
    assert shares[0].paths == ("/var/vmail/d/big/Maildir",)  # the heaviest share restores by include
    assert "/var/vmail/d/big/Maildir" in shares[1].excluded and len(shares[1].excluded) == 1


def test_one_process_one_mailbox_or_a_mailbox_that_is_a_root_restores_whole() -> None:
    two = [box("/var/vmail/d/a/Maildir", 5), box("/var/vmail/d/b/Maildir", 5)]
    assert split(manifest(*two), 1) == [Share()]
    assert split(manifest(two[0]), 4) == [Share()]
    assert split(manifest(box("/var/vmail", 5), two[0]), 4) == [Share()]


def test_many_mailboxes_are_merged_into_their_domains_to_keep_restics_pattern_lists_short() -> None:
    boxes = [box(f"/var/vmail/d{d}/u{u}/Maildir", 10) for d in range(4) for u in range(MAX_PATTERNS)]
    shares = split(manifest(*boxes), 3)
    assert len(shares) == 3
    assert {p for s in shares[:-1] for p in s.paths} <= {f"/var/vmail/d{d}" for d in range(4)}
    assert set(covered(shares, [f"{b.path}/new/x" for b in boxes]).values()) == {1}


def test_mailboxes_nested_in_one_another_are_never_split() -> None:
    nested = [box("/var/vmail/d/a/Maildir", 5), box("/var/vmail/d/a/Maildir/other/Maildir", 5)]
    assert split(manifest(*nested), 4) == [Share()]


def test_the_included_directories_are_created_first_and_glob_characters_are_escaped() -> None:
    boxes = [box("/var/vmail/d/we*rd[1]/Maildir", 50), box("/var/vmail/d/b/Maildir", 10)]
    shares = split(manifest(*boxes), 2)
    assert precreate(shares) == ["/var/vmail/d/we*rd[1]/Maildir"]
    assert shares[0].patterns() == (["/var/vmail/d/we\\*rd\\[1\\]/Maildir"], [])
    assert shares[1].patterns() == ([], ["/var/vmail/d/we\\*rd\\[1\\]/Maildir"])
