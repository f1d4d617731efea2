"""Property-based tests (Hypothesis) of every pure parser and renderer that meets outside input:
whatever a file, a server or restic hands them, they give an answer or refuse cleanly (the error
type the caller turns into one line), never a traceback."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mailvault.dns.checks import dkim_public_key
from mailvault.dns.mtasts import parse_policy, txt_id
from mailvault.dns.spf import find_spf, quote, unquote
from mailvault.dns.tsig import parse_key
from mailvault.errors import ConfigError, KitError
from mailvault.imap.folders import ListedFolder, Side, map_folders
from mailvault.kit.armor import armor, dearmor
from mailvault.kit.sealed import KdfParams, open_sealed, seal
from mailvault.mail import utf7
from mailvault.mail.maildir import base_name
from mailvault.mail.maildir_flags import SYSTEM, imap_flags, info_letters, parse_keywords
from mailvault.tools.restic_output import (
    VERBOSE_PREFIX,
    ItemError,
    ResticOutputError,
    ResticProgress,
    SavedFiles,
    Summary,
    orphan_records,
    parse_backup_line,
    parse_snapshots,
)

# Any Unicode a folder name may hold (surrogates cannot be encoded: no server sends them).
names = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)


# --- modified UTF-7 folder names ---------------------------------------------------------------


@given(names)
def test_a_folder_name_survives_modified_utf7(name: str) -> None:
    wire = utf7.encode(name)
    assert wire.isascii() and all(0x20 <= ord(c) <= 0x7E for c in wire)
    assert utf7.decode(wire) == name


@given(st.text(alphabet=string.printable, max_size=40))
@example("&")
@example("&Jjo")
@example("&AGE-")  # 'a' encoded: not the shortest form, still decoded
@example("&2D3eAA-")  # a lone surrogate
@example("&,,,,-")
def test_any_wire_name_decodes_to_text_without_an_error(wire: str) -> None:
    decoded = utf7.decode(wire)
    assert isinstance(decoded, str)
    decoded.encode("utf-8")  # printable: no lone surrogate reaches a terminal or a JSON report


# --- maildir file names and flags ----------------------------------------------------------------

letters = st.text(alphabet=string.ascii_letters, max_size=12)


@given(st.text(alphabet=st.characters(exclude_characters=":/\x00", exclude_categories=("Cs",)), min_size=1), letters)
def test_a_maildir_name_keeps_its_identity_through_flag_renames(base: str, flags: str) -> None:
    filename = f"{base}:2,{flags}"
    assert base_name(filename) == base
    assert info_letters(filename) == flags
    keywords = {c: f"$kw{c}" for c in string.ascii_lowercase}
    got = imap_flags(filename, keywords)
    assert got == [SYSTEM[c] for c in flags if c in SYSTEM] + [keywords[c] for c in flags if c.islower()]


@given(st.text(max_size=200))
def test_any_dovecot_keywords_file_parses_to_letters(text: str) -> None:
    found = parse_keywords(text)
    assert set(found) <= set(string.ascii_lowercase) and all(found.values())


# --- the kit's armor and sealed envelope ---------------------------------------------------------

CHEAP = KdfParams(log2n=10, r=1, p=1)  # the format's smallest cost: the properties, not scrypt, are tested
SEALED = seal(b'{"kit": "payload"}' * 20, "pass phrase", params=CHEAP)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_sealed_kit_with_any_byte_changed_or_cut_is_refused(data: st.DataObject) -> None:
    damaged = bytearray(SEALED)
    if data.draw(st.booleans(), label="truncate"):
        damaged = damaged[: data.draw(st.integers(0, len(SEALED) - 1), label="length")]
    else:
        at = data.draw(st.integers(0, len(SEALED) - 1), label="at")
        damaged[at] ^= data.draw(st.integers(1, 255), label="xor")
    with pytest.raises(KitError):
        open_sealed(bytes(damaged), "pass phrase", name="kit")


def test_the_sealed_kit_opens_untouched() -> None:
    assert open_sealed(SEALED, "pass phrase", name="kit") == b'{"kit": "payload"}' * 20


ARMORED = armor(SEALED, host="mail.example.org")
_lines = ARMORED.splitlines()


@settings(max_examples=200)
@given(st.data())
def test_an_armored_kit_with_any_character_changed_or_lines_lost_is_refused_or_still_exact(
    data: st.DataObject,
) -> None:
    lines = list(_lines)
    what = data.draw(st.sampled_from(["char", "drop", "cut"]), label="damage")
    if what == "char":
        row = data.draw(st.integers(0, len(lines) - 1), label="row")
        assume(lines[row])
        col = data.draw(st.integers(0, len(lines[row]) - 1), label="col")
        new = data.draw(st.characters(codec="utf-8", exclude_categories=("Cs",)), label="char")
        lines[row] = lines[row][:col] + new + lines[row][col + 1 :]
    elif what == "drop":
        del lines[data.draw(st.integers(0, len(lines) - 1), label="row")]
    else:
        lines = lines[: data.draw(st.integers(0, len(lines) - 1), label="keep")]
    try:
        got = dearmor("\n".join(lines), name="kit.txt")
    except KitError:
        return
    # A change the format forgives (a header for people, look-alike letters, case) gives the same kit
    assert got == SEALED


@given(st.text(max_size=300))
@example("-----BEGIN MAILVAULT RECOVERY KIT-----\nLines: x\n-----END MAILVAULT RECOVERY KIT-----\n")
@example("-----BEGIN MAILVAULT RECOVERY KIT-----\n01  0000  =0000\n-----END MAILVAULT RECOVERY KIT-----\n")
def test_any_text_dearmors_or_is_refused(text: str) -> None:
    try:
        sealed = dearmor(text, name="kit.txt")
    except KitError:
        return
    assert isinstance(sealed, bytes)


# --- restic's JSON output --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(
    st.sampled_from(["status", "summary", "error", "verbose_status", "other"]),
    st.dictionaries(
        st.sampled_from(["percent_done", "files_done", "total_files", "snapshot_id", "files_new", "item", "error",
                         "total_duration", "data_added", "current_files", "seconds_remaining"]),
        json_values,
    ),
)  # fmt: skip
def test_any_restic_backup_line_is_an_event_or_nothing(kind: str, fields: dict[str, object]) -> None:
    line = json.dumps({"message_type": kind, **fields})
    event = parse_backup_line(line)
    assert event is None or isinstance(event, ResticProgress | Summary | ItemError)


@given(st.text(max_size=200))
def test_any_text_line_from_restic_is_an_event_or_nothing(line: str) -> None:
    parse_backup_line(line)
    SavedFiles().add(line)


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20), max_size=5))
def test_every_file_restic_reports_saved_is_listed_under_its_folder(leaves: list[str]) -> None:
    saved = SavedFiles()
    for leaf in leaves:
        item = f"/m/cur/{leaf}"
        line = VERBOSE_PREFIX + 'new","item":' + json.dumps(item, ensure_ascii=True) + ',"duration":0.1}'
        assert saved.add(line)
    expected: dict[str, list[str]] = {}
    for leaf in leaves:
        if leaf.endswith("/"):
            continue  # a directory
        parent, _, name = f"/m/cur/{leaf}".rpartition("/")
        expected.setdefault(parent, []).append(name)
    assert saved.by_dir == expected


@given(st.text(max_size=300))
def test_any_snapshots_listing_parses_or_is_refused_as_restic_output(text: str) -> None:
    try:
        snaps = parse_snapshots(text)
    except ResticOutputError:
        return
    assert isinstance(snaps, list)


@given(st.lists(st.dictionaries(st.sampled_from(["id", "short_id", "time", "tags", "paths", "hostname"]),
                                json_values), max_size=3))  # fmt: skip
def test_any_snapshots_json_parses_or_is_refused_as_restic_output(items: list[dict[str, object]]) -> None:
    try:
        snaps = parse_snapshots(json.dumps(items))
    except ResticOutputError:
        return
    assert len(snaps) <= len(items)
    orphan_records(json.dumps(items))


# --- DNS records ----------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=600))
def test_txt_text_survives_zone_file_quoting(text: str) -> None:
    assert unquote(quote(text)) == text


@given(st.lists(st.text(max_size=80), max_size=4))
def test_any_txt_values_give_an_spf_record_or_none(values: list[str]) -> None:
    spf = find_spf(tuple(values))
    assert spf is None or spf.lower().startswith("v=spf1")


@given(st.text(max_size=300))
@example("version: STSv1\nmode: enforce\nmax_age: 1e9\n")
def test_any_mta_sts_policy_parses_or_is_refused(text: str) -> None:
    try:
        policy = parse_policy(text)
    except ValueError:
        return
    assert policy.mode in ("enforce", "testing", "none")
    txt_id(text)


@given(st.text(max_size=200))
def test_any_dkim_record_gives_a_key_or_none(record: str) -> None:
    p = dkim_public_key(record)
    assert p is None or not any(c.isspace() for c in p)


@given(st.text(max_size=200))
@example('key "k" { algorithm hmac-sha256; secret "=="; };')
def test_any_tsig_key_file_parses_or_is_refused(text: str) -> None:
    try:
        key = parse_key(text, where="tsig.key")
    except ConfigError:
        return
    assert key.secret and key.algorithm.startswith("hmac-")


# --- folder mapping between unlike servers ------------------------------------------------------

delimiters = st.sampled_from(["/", ".", "\\"])
prefixes = st.sampled_from(["", "INBOX."])
hostile = st.one_of(
    st.sampled_from(["..", ".", "", "a/b", "a\x00b", "&Jjo", "Ü"]),
    st.text(alphabet=st.sampled_from(list("ab./\\&-_ \x00\tÜ")), min_size=1, max_size=8),
)

# the names a destination already holds (and may map a role to) are its own: sane ones here
sane = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/.\\"), min_size=1,
               max_size=12).filter(lambda n: n not in (".", ".."))  # fmt: skip


@st.composite
def sides(draw: st.DrawFn, *, hostile_names: bool = True) -> Side:
    delimiter, prefix = draw(delimiters), draw(prefixes)
    if prefix:
        prefix = "INBOX" + delimiter
    part = hostile if hostile_names else sane
    paths = draw(st.lists(st.lists(part, min_size=1, max_size=3), max_size=6))
    roles = draw(st.lists(st.sampled_from(["", "\\Sent", "\\Drafts", "\\Trash"]), min_size=len(paths),
                          max_size=len(paths)))  # fmt: skip
    folders = [ListedFolder(prefix + delimiter.join(utf7.encode(p) for p in path), delimiter,
                      frozenset([role]) if role else frozenset())
               for path, role in zip(paths, roles, strict=True)]  # fmt: skip
    return Side(delimiter, prefix, (ListedFolder("INBOX", delimiter), *folders))


@settings(max_examples=300)
@given(sides(), sides(hostile_names=False))
def test_a_folder_mapping_is_never_many_to_one_and_stays_in_the_namespace(source: Side, destination: Side) -> None:
    plan = map_folders(source, destination)
    by_destination: dict[str, list[str]] = {}
    for m in plan.mappings:
        by_destination.setdefault(m.destination, []).append(m.source)
    # two sources landing on one destination name are reported, never merged silently
    assert {d: s for d, s in by_destination.items() if len(s) > 1} == plan.collisions
    for m in plan.mappings:
        if m.destination == "INBOX" or m.why.startswith("role "):
            continue  # (a folder the destination already has, by its role: the destination's own name)
        assert m.destination.startswith(destination.prefix)
        parts = m.destination[len(destination.prefix) :].split(destination.delimiter)
        decoded = [utf7.decode(part) for part in parts]
        # nothing a server could read as a step out of the namespace, or as a path
        assert all(part not in ("", ".", "..") for part in decoded), m
        assert not any("\x00" in part or "/" in part for part in decoded), m
