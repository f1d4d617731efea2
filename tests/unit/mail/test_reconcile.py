"""The reconciliation of a scan with what restic saved: every kind of difference, and the record."""

from __future__ import annotations

from mailvault.mail import reconcile
from mailvault.mail.manifest import ScannedFolder, folder_digest
from mailvault.mail.manifest_model import COMPLETE, FolderEntry, MailboxEntry, Manifest, SampleEntry

F = "/v/a/Maildir"
A, B, C, D = "1.M1.h,S=10", "2.M2.h,S=20", "3.M3.h,S=30", "4.M4.h,S=40"


def manifest(before: dict[str, int | None]) -> Manifest:
    pairs = [(reconcile.base(r), n or 0) for r, n in before.items()]
    entry = FolderEntry("INBOX", "INBOX", len(pairs), sum(n for _, n in pairs), "2026-01-01T00:00:00+00:00", 17,
                        folder_digest(pairs))  # fmt: skip
    samples = [SampleEntry("a", "INBOX", reconcile.base(r), 1, "x", "y") for r in before]
    return Manifest("t", "h", ["/v"], [MailboxEntry("a", F, [entry])], samples=samples)


def run(before: dict[str, int | None], saved: list[str], after: dict[str, tuple[int, float]]) -> reconcile.Reconciled:
    folder = ScannedFolder("a", "INBOX", F, before)
    relisted: list[list[str]] = []

    def relist(folders: list[str]) -> dict[str, dict[str, tuple[int, float]]]:
        relisted.append(folders)
        return {F: after}

    found = reconcile.reconcile(manifest(before), [folder], lambda path: saved if path == F else [], relist)
    found.relisted = relisted  # type: ignore[attr-defined]
    return found


def test_a_still_folder_needs_no_record_and_no_second_listing() -> None:
    found = run({f"cur/{A}:2,S": 10, f"new/{B}": 20}, [f"cur/{A}:2,S", f"new/{B}"], {})
    assert found.entries == {} and not found.churn.any() and found.relisted == []  # type: ignore[attr-defined]


def test_each_kind_of_difference_is_named() -> None:
    before = {f"cur/{A}:2,S": 10, f"new/{B}": 20, f"cur/{C}:2,": 30, f"new/{D}": 40}
    # B read by a client before the walk (new -> cur), C expunged, D moved while restic walked
    # (in neither of its listings), E arrived.
    saved = [f"cur/{A}:2,S", f"cur/{B}:2,S", "new/5.M5.h,S=50"]
    after = {
        f"cur/{A}:2,S": (10, 1.0),
        f"cur/{B}:2,S": (20, 2.0),
        f"cur/{D}:2,S": (40, 4.0),
        "new/5.M5.h,S=50": (50, 5.0),
    }
    found = run(before, saved, after)
    churn = found.churn
    assert (churn.arrived, churn.reflagged, churn.expunged, churn.missed) == (1, 1, 1, 1)
    assert found.missed == [f"{F}/cur/{D}:2,S"]
    entry = found.entries[("a", "INBOX")]
    assert (entry.messages, entry.bytes) == (3, 80)
    assert entry.digest == folder_digest([(A, 10), (B, 20), ("5.M5.h,S=50", 50)])
    assert entry.newest_file == "new/5.M5.h,S=50" and entry.uidvalidity == 17


def test_a_file_that_came_and_went_unsized_leaves_bytes_unknown_not_wrong() -> None:
    found = run({f"cur/{A}:2,S": 10}, [f"cur/{A}:2,S", "new/9.M9.nosize"], {f"cur/{A}:2,S": (10, 1.0)})
    entry = found.entries[("a", "INBOX")]
    assert (entry.messages, entry.bytes, entry.digest) == (2, -1, "")
    assert entry.newest_file == f"cur/{A}:2,S"


def test_sizes_come_from_the_name_when_no_listing_has_the_file() -> None:
    found = run({f"cur/{A}:2,S": 10}, [f"cur/{A}:2,S", f"new/{B}"], {f"cur/{A}:2,S": (10, 1.0)})
    assert found.entries[("a", "INBOX")].bytes == 30


def test_the_record_drops_samples_of_messages_the_snapshot_lacks() -> None:
    before: dict[str, int | None] = {f"cur/{A}:2,S": 10, f"cur/{B}:2,S": 20}
    found = run(before, [f"cur/{A}:2,FS"], {f"cur/{A}:2,FS": (10, 1.0)})
    record = reconcile.apply(manifest(before), found, snapshot="abcd1234", state=COMPLETE)
    assert [s.base for s in record.samples] == [A]
    assert record.state == COMPLETE and record.snapshot == "abcd1234"
    assert record.churn.expunged == 1 and record.churn.reflagged == 1
    again = Manifest.from_json(record.to_json())
    assert again.churn == record.churn and again.mailboxes[0].folders[0].newest_file == f"cur/{A}:2,FS"


def test_a_cached_folder_listed_by_name_only_still_classifies() -> None:
    before: dict[str, int | None] = {f"cur/{A}:2,S": None, f"new/{B}": None}
    found = run(before, [f"cur/{A}:2,S"], {f"cur/{A}:2,S": (10, 1.0), f"cur/{B}:2,S": (20, 2.0)})
    assert found.churn.missed == 1 and found.entries[("a", "INBOX")].bytes == 10


def test_a_name_that_is_not_utf8_matches_restics_printing_of_it() -> None:
    odd = "cur/1.M1.h\udce9,S=10:2,S"  # as os.listdir gives a Latin-1 byte in a name
    folder = ScannedFolder("a", "INBOX", F, {odd: 10})
    printed = ["cur/1.M1.h\ufffd,S=10:2,S"]  # as restic's JSON gives it
    found = reconcile.reconcile(manifest({odd: 10}), [folder], lambda _: printed, lambda _: {}, lossy=True)
    assert found.entries == {} and not found.churn.any()
    strict = reconcile.reconcile(manifest({odd: 10}), [folder], lambda _: printed, lambda _: {F: {odd: (10, 1.0)}})
    assert strict.churn.missed == 1  # (why the comparison must know restic's printing was lossy)


def test_a_symlink_restic_saved_is_not_a_message_of_record() -> None:
    before: dict[str, int | None] = {f"cur/{A}:2,S": 10}
    saved = [f"cur/{A}:2,S", "cur/link-to-elsewhere"]
    found = run(before, saved, {f"cur/{A}:2,S": (10, 1.0), "cur/link-to-elsewhere": (reconcile.NOT_A_MESSAGE, 0.0)})
    assert found.entries == {} and not found.churn.any()
    # and beside a real change it is still left out
    found = run(before, [*saved, f"new/{B}"], {f"cur/{A}:2,S": (10, 1.0), "cur/link-to-elsewhere": (-1, 0.0),
                                               f"new/{B}": (20, 2.0)})  # fmt: skip
    assert found.entries[("a", "INBOX")].messages == 2 and found.churn.arrived == 1
