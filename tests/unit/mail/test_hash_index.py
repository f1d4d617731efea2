"""The message hash index: hashed once, carried forward by base name, one file per mailbox."""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import pytest

from mailvault.mail import hash_index


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


def test_new_messages_are_hashed_in_their_crlf_form_and_known_ones_carried(tmp_path: Path) -> None:
    path = _folder(tmp_path, {"cur/1.M1.h:2,S": b"a\nb\n", "new/2.M2.h": b"c\r\n"})
    first = hash_index.update({}, [("a@x.org", "INBOX", str(path), ["cur/1.M1.h:2,S", "new/2.M2.h"])])
    assert first.hashed == 2 and first.changed == {("a@x.org", "INBOX")}
    assert first.index[("a@x.org", "INBOX")]["1.M1.h"] == hashlib.sha256(b"a\r\nb\r\n").hexdigest()
    # a flag change renames the file: the hash is carried, nothing is read, nothing changed
    (path / "cur/1.M1.h:2,S").rename(path / "cur/1.M1.h:2,FS")
    second = hash_index.update(first.index, [("a@x.org", "INBOX", str(path), ["cur/1.M1.h:2,FS", "new/2.M2.h"])])
    assert second.hashed == 0 and second.changed == set() and second.index == first.index


def test_a_carried_hash_is_not_read_again_even_when_the_file_changed(tmp_path: Path) -> None:
    """The index is the backup-time fact: damage on disk later must not rewrite it."""
    path = _folder(tmp_path, {"cur/1.M1.h": b"good\n"})
    first = hash_index.update({}, [("a", "INBOX", str(path), ["cur/1.M1.h"])])
    (path / "cur/1.M1.h").write_bytes(b"bad!\n")
    again = hash_index.update(first.index, [("a", "INBOX", str(path), ["cur/1.M1.h"])])
    assert again.index == first.index


def test_expunged_and_vanished_messages_leave_the_index(tmp_path: Path) -> None:
    path = _folder(tmp_path, {"cur/1.M1.h": b"x\n", "cur/2.M2.h": b"y\n"})
    first = hash_index.update({}, [("a", "INBOX", str(path), ["cur/1.M1.h", "cur/2.M2.h"])])
    (path / "cur/2.M2.h").unlink()
    later = hash_index.update(first.index, [("a", "INBOX", str(path), ["cur/1.M1.h", "cur/3.M3.h"])])
    assert set(later.index[("a", "INBOX")]) == {"1.M1.h"}
    assert later.unreadable == 1 and later.changed == {("a", "INBOX")}


def test_side_files_round_trip_with_hostile_names_and_only_changed_folders_are_written(tmp_path: Path) -> None:
    index = {
        ("a@x.org", "INBOX"): {"1.M1.h": "0" * 64},
        ("a@x.org", "Entw&APw-rfe"): {"2.M2.h": "1" * 64},
        ('caf\udce9\n"{x}', "in\tbox"): {"3.M3.h,S=5": "2" * 64},
    }
    side = tmp_path / "hashes"
    assert hash_index.write_side_files(side, hash_index.Update(index, changed=set())) == 3  # none there yet
    assert hash_index.read_side_files(side) == index
    assert hash_index.write_side_files(side, hash_index.Update(index, changed={("a@x.org", "INBOX")})) == 1
    del index[("a@x.org", "INBOX")], index[("a@x.org", "Entw&APw-rfe")]
    hash_index.write_side_files(side, hash_index.Update(index, changed=set()))
    assert hash_index.read_side_files(side) == index and len(list(side.iterdir())) == 1


def test_a_missing_or_foreign_index_reads_as_empty(tmp_path: Path) -> None:
    assert hash_index.read_side_files(tmp_path / "none") == {}
    (tmp_path / "x.jsonl").write_text('{"format": "other"}\n["1", "0"]\n')
    assert hash_index.read_side_files(tmp_path) == {}
    assert hash_index.load(tmp_path / "x.jsonl") == {}
    (tmp_path / "i").write_bytes(hash_index.blob({("a", "INBOX"): {"1": "f" * 64}}))
    assert hash_index.load(tmp_path / "i") == {("a", "INBOX"): {"1": "f" * 64}}


def test_many_files_are_hashed_over_helpers_exactly_as_here(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mailvault.mail.hash_index import hash_many
    from mailvault.mail.message_hash import hash_file

    paths = []
    for i in range(40):
        path = tmp_path / f"{i}.M{i}P1.host,S={i}:2,S"
        path.write_bytes(b"Subject: %d\n\n" % i + b"line\r\n" * (i % 3) + b"x\n" * i)
        paths.append(str(path))
    paths.append(str(tmp_path / "expunged-before-it-was-read"))
    here = [hash_file(p) for p in paths]
    assert here[-1] is None and len(set(here[:-1])) == 40
    with caplog.at_level(logging.DEBUG, logger="mailvault.mail.hash_index"):
        assert hash_many(paths, processes=3, helpers_from=1) == here
    assert "helper" not in caplog.text  # the helpers answered


def test_a_failing_hashing_helper_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mailvault.mail import hash_index
    from mailvault.mail.message_hash import hash_file

    monkeypatch.setattr(hash_index, "HASH_HELPER", (sys.executable, "-c", "import sys; sys.exit(5)"))
    paths = []
    for i in range(6):
        (tmp_path / str(i)).write_bytes(b"m%d\n" % i)
        paths.append(str(tmp_path / str(i)))
    with caplog.at_level(logging.DEBUG, logger="mailvault.mail.hash_index"):
        assert hash_index.hash_many(paths, processes=2, helpers_from=1) == [hash_file(p) for p in paths]
    assert "hashing its share here" in caplog.text


def test_an_unchanged_folder_keeps_its_entries_unless_they_fall_short_of_its_files(tmp_path: Path) -> None:
    path = _folder(tmp_path, {"cur/1.M1.h": b"x\n", "cur/2.M2.h": b"y\n"})
    key = ("a", "INBOX")
    # the last run could not read 2.M2.h (it was renamed under it): one entry for two files
    short = {key: {"1.M1.h": hashlib.sha256(b"x\r\n").hexdigest()}}
    rels = ["cur/1.M1.h", "cur/2.M2.h"]
    fixed = hash_index.update(short, [("a", "INBOX", str(path), rels)], unchanged={key})
    assert fixed.hashed == 1 and set(fixed.index[key]) == {"1.M1.h", "2.M2.h"}
    # as many entries as files: kept as they are, nothing read (a stale digest proves it)
    kept = {key: {"1.M1.h": "d1", "2.M2.h": "d2"}}
    same = hash_index.update(kept, [("a", "INBOX", str(path), rels)], unchanged={key})
    assert same.hashed == 0 and same.index == kept and same.changed == set()
    # the same folder not marked unchanged is looked at name by name (and carried by base name)
    looked = hash_index.update(kept, [("a", "INBOX", str(path), ["cur/1.M1.h", "cur/3.M3.h"])])
    assert set(looked.index[key]) == {"1.M1.h"} and looked.unreadable == 1
