import os
import pwd
import sys
from pathlib import Path

import pytest

from mailvault.errors import SourceError
from mailvault.mail.layout import find_mailboxes
from mailvault.mail.maildir import base_name, list_folders, read_uidvalidity
from mailvault.mail.manifest import Manifest, compare, folder_digest, scan


def put(path: Path, data: bytes = b"Subject: x\n\nbody\n", mtime: int = 1_700_000_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "vmail"
    alice = maildir(root / "example.com" / "alice" / "Maildir")
    put(alice / "cur" / "1700000000.M1P1.h,S=17,W=20:2,S", mtime=1_700_000_000)
    put(alice / "new" / "1700000001.M2P1.h,S=17,W=20", mtime=1_700_000_100)
    put(alice / "tmp" / "in-delivery", b"partial")  # never counted
    odd = maildir(alice / ".Entw&APw-rfe")
    put(odd / "cur" / "odd name with spaces:2,RSa", b"x" * 100)
    put(odd / "cur" / "ünïcode-base:2,", b"y" * 5)
    nested = maildir(alice / ".Archive.2025")
    (nested / "dovecot-uidlist").write_text("3 V1712345678 N3 G0123456789abcdef\n1 :a\n")
    maildir(alice / ".Empty")
    bob = maildir(root / "example.org" / "bob" / "Maildir")
    put(bob / "cur" / "b1:2,S")
    (root / "example.org" / "not-a-user-file").write_text("x")
    return root


def test_base_name_survives_flag_rename() -> None:
    assert base_name("1700000000.M1P2.host,S=1234,W=1260:2,RS") == base_name("1700000000.M1P2.host,S=1234,W=1260:2,")
    assert base_name("no-info") == "no-info"


def test_layout_finds_mailboxes(store: Path, tmp_path: Path) -> None:
    found = find_mailboxes(store, "%d/%n/Maildir")
    assert [m.name for m in found] == ["alice@example.com", "bob@example.org"]
    home = tmp_path / "home"
    maildir(home / "carol" / "Maildir")
    (home / "dave").mkdir()  # a home without a maildir
    assert [m.name for m in find_mailboxes(home, "%n/Maildir")] == ["carol"]


def test_folders_decoded_and_nested(store: Path) -> None:
    folders = list_folders(store / "example.com" / "alice" / "Maildir", "maildir++")
    assert [(f.name, f.display) for f in folders] == [
        ("INBOX", "INBOX"),
        ("Archive.2025", "Archive/2025"),
        ("Empty", "Empty"),
        ("Entw&APw-rfe", "Entwürfe"),
    ]
    assert read_uidvalidity(folders[1].path) == 1712345678
    assert read_uidvalidity(folders[0].path) is None


def test_fs_layout(tmp_path: Path) -> None:
    md = maildir(tmp_path / "Maildir")
    maildir(md / "Lists" / "dovecot")
    maildir(md / "Sent")
    put(md / "Lists" / "dovecot" / "cur" / "m1:2,S")
    folders = list_folders(md, "fs")
    assert [f.name for f in folders] == ["INBOX", "Lists/dovecot", "Sent"]


def test_scan_counts_sizes_and_newest(store: Path) -> None:
    manifest = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++").manifest
    totals = manifest.totals
    assert (totals.mailboxes, totals.messages) == (2, 5)
    assert totals.bytes == 17 + 17 + 100 + 5 + len(b"Subject: x\n\nbody\n")
    alice = manifest.mailboxes[0]
    inbox = alice.folders[0]
    assert (inbox.name, inbox.messages, inbox.newest) == ("INBOX", 2, "2023-11-14T22:15:00+00:00")
    empty = next(f for f in alice.folders if f.name == "Empty")
    assert (empty.messages, empty.bytes, empty.newest) == (0, 0, None)


def test_flag_rename_keeps_digest_new_mail_changes_it(store: Path) -> None:
    before = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++").manifest
    cur = store / "example.com" / "alice" / "Maildir" / "cur"
    old = cur / "1700000000.M1P1.h,S=17,W=20:2,S"
    old.rename(cur / "1700000000.M1P1.h,S=17,W=20:2,FRS")
    after_rename = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++").manifest
    assert compare(before, after_rename) == []
    put(cur / "1700000500.M9P1.h:2,")
    after_new = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++").manifest
    changes = compare(before, after_new)
    assert [(c.mailbox, c.folder, c.before, c.after) for c in changes] == [("alice@example.com", "INBOX", 2, 3)]


def test_digest_order_independent_and_size_sensitive() -> None:
    assert folder_digest([("a", 1), ("b", 2)]) == folder_digest([("b", 2), ("a", 1)])
    assert folder_digest([("a", 1)]) != folder_digest([("a", 2)])


def test_sample_rotates_and_hashes_crlf(store: Path) -> None:
    one = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=2)
    first, cursor = one.manifest, one.next_cursor
    two = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=2, sample_cursor=cursor)
    second, cursor2 = two.manifest, two.next_cursor
    assert (cursor, cursor2) == (2, 4)
    assert {s.base for s in first.samples}.isdisjoint({s.base for s in second.samples})
    third = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=2, sample_cursor=cursor2)
    assert third.next_cursor == 1  # 5 messages: positions 4 and 0, wrapping around the store
    assert len(third.manifest.samples) == 2
    assert third.manifest.samples[0].base == first.samples[0].base
    import hashlib

    sample = next(s for s in first.samples + second.samples if s.size == 17)
    assert sample.sha256_crlf == hashlib.sha256(b"Subject: x\r\n\r\nbody\r\n").hexdigest()


def test_manifest_json_roundtrip(store: Path) -> None:
    manifest = scan([store], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=3).manifest
    again = Manifest.from_json(manifest.to_json())
    assert again.totals == manifest.totals
    assert again.samples == manifest.samples
    assert '"version": 2' in manifest.to_json()
    assert again.state == "scanned" and again.version == 2
    old = manifest.to_json().replace('"version": 2', '"version": 1')
    assert Manifest.from_json(old).version == 1  # a manifest from before the records keeps its version
    with pytest.raises(ValueError, match="newer"):
        Manifest.from_json('{"format": "mailvault-manifest", "version": 99}')


def test_missing_or_empty_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        scan([tmp_path / "nope"], layout="%d/%n/Maildir", folder_layout="maildir++")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="holds no mailbox matching layout"):
        scan([tmp_path / "empty"], layout="%d/%n/Maildir", folder_layout="maildir++")


def _age_dirs(root: Path, seconds: int = 3600) -> None:
    """Make every directory look untouched for an hour, past the racy-timestamp guard."""
    old = int(__import__("time").time()) - seconds
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            os.utime(path, (old, old))


def test_cache_reuses_unchanged_folders_and_sees_every_change(store: Path) -> None:
    from mailvault.mail import scan_cache

    _age_dirs(store)
    kw = {"layout": "%d/%n/Maildir", "folder_layout": "maildir++"}
    full = scan([store], **kw)  # type: ignore[arg-type]
    cache = scan_cache.load(Path("/nonexistent"))
    assert cache.folders == {}
    cached = scan([store], cache=full.cache, **kw)  # type: ignore[arg-type]
    assert cached.folders_reused == full.manifest.totals.folders == 5
    assert cached.manifest.mailboxes == full.manifest.mailboxes
    cur = store / "example.com" / "alice" / "Maildir" / "cur"
    first = next(cur.iterdir())
    first.rename(cur / (first.name.split(":")[0] + ":2,T"))  # a flag change is a rename: cur/ mtime moves
    put(store / "example.org" / "bob" / "Maildir" / "new" / "fresh")
    again = scan([store], cache=full.cache, **kw)  # type: ignore[arg-type]
    assert again.folders_reused == 3
    assert again.manifest.totals.messages == full.manifest.totals.messages + 1


def test_a_cached_folder_carries_its_names_without_listing_them_again(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailvault.mail import manifest, scan_cache

    _age_dirs(store)
    kw = {"layout": "%d/%n/Maildir", "folder_layout": "maildir++"}
    full = scan([store], **kw)  # type: ignore[arg-type]
    (tmp_path / "c.json").write_text(full.cache.to_json())
    (tmp_path / "n.marshal").write_bytes(full.cache.names_blob())
    loaded = scan_cache.load(tmp_path / "c.json", tmp_path / "n.marshal")
    assert loaded.names == full.cache.names and len(loaded.names) == 5

    def no_listing(folder: str) -> list[str]:
        raise AssertionError(f"{folder} listed again")

    monkeypatch.setattr(manifest, "message_names", no_listing)
    again = scan([store], cache=loaded, **kw)  # type: ignore[arg-type]
    assert again.folders_reused == 5
    assert [sorted(f.before) for f in again.folders] == [sorted(f.before) for f in full.folders]
    # names of another scan's cache are not taken for this one's
    (tmp_path / "n.marshal").write_bytes(scan([store], **kw).cache.names_blob())  # type: ignore[arg-type]
    assert scan_cache.load(tmp_path / "c.json", tmp_path / "n.marshal").names == {}


def test_cache_distrusts_folders_touched_just_before_the_last_scan(store: Path, tmp_path: Path) -> None:
    from mailvault.mail import scan_cache

    kw = {"layout": "%d/%n/Maildir", "folder_layout": "maildir++"}
    full = scan([store], **kw)  # type: ignore[arg-type]  # dirs were created moments ago: racy
    assert scan([store], cache=full.cache, **kw).folders_reused == 0  # type: ignore[arg-type]
    saved = tmp_path / "cache.json"
    saved.write_text(full.cache.to_json())
    assert scan_cache.load(saved).folders == full.cache.folders
    saved.write_text("{broken")
    assert scan_cache.load(saved).folders == {}


def test_unreadable_folder_is_reported_not_skipped(store: Path) -> None:
    import subprocess

    cur = store / "example.org" / "bob" / "Maildir" / "cur"
    cur.chmod(0o000)
    try:
        # root reads everything: drop the capabilities that let it, as a non-root mail host would run
        probe = [
            "setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search",
            sys.executable, "-c",
            "from pathlib import Path; from mailvault.mail.manifest import scan; "
            f"r = scan([Path({str(store)!r})], layout='%d/%n/Maildir', folder_layout='maildir++'); "
            "print(r.manifest.unreadable)",
        ]  # fmt: skip
        out = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
        assert str(cur) in out
    finally:
        cur.chmod(0o755)


def test_a_message_renamed_away_mid_scan_is_listed_under_its_new_name(tmp_path: Path, monkeypatch) -> None:
    """Dovecot renames files on every flag change; a vanished file means list the folder again."""
    from mailvault.mail import maildir as maildir_mod

    box = maildir(tmp_path / "Maildir")
    put(box / "cur" / "m1:2,")
    real_lstat = os.lstat
    renamed = []

    def lstat_racing_a_flag_change(name, *, dir_fd=None):
        if name == "m1:2," and not renamed:
            os.rename("m1:2,", "m1:2,S", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            renamed.append(name)
        return real_lstat(name, dir_fd=dir_fd)

    monkeypatch.setattr(maildir_mod.os, "lstat", lstat_racing_a_flag_change)
    found = maildir_mod.folder_files(box)
    assert renamed and [f[2] for f in found.files] == ["cur/m1:2,S"]


def test_a_store_level_that_cannot_be_listed_is_named_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailvault.errors import SourceError
    from mailvault.mail import layout

    (tmp_path / "example.com" / "alice" / "Maildir" / "cur").mkdir(parents=True)
    real = os.scandir

    def refuse(path: object) -> object:
        if str(path).endswith("example.com"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(layout.os, "scandir", refuse)
    with pytest.raises(SourceError) as raised:
        layout.find_mailboxes(tmp_path, "%d/%n/Maildir")
    assert f"{tmp_path / 'example.com'} is not readable" in str(raised.value)
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert f"is not readable by {user}, who runs mailvault" in str(raised.value)
    assert f"setfacl -R -m u:{user}:rX {tmp_path / 'example.com'}" in (raised.value.hint or "")


def test_a_domain_level_skips_names_no_domain_has(tmp_path: Path) -> None:
    for where in ("example.com/alice", "_garbage/1700000000_bob", ".trash/carol"):
        (tmp_path / where / "cur").mkdir(parents=True)
    assert [m.name for m in find_mailboxes(tmp_path, "%d/%n")] == ["alice@example.com"]
