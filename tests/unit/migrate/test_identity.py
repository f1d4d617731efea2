"""Message identity across servers, and matching as multisets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from mailvault.migrate.identity import Seen, identities, identity, match, message_id, repeated_ids

T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_message_id_parsing() -> None:
    assert message_id(b"Message-ID: <a@b>\r\n\r\n") == "<a@b>"
    assert message_id(b"Message-Id:\r\n <folded@b>\r\n\r\n") == "<folded@b>"
    assert message_id(b"\r\n") is None


def test_the_same_instant_in_two_time_zones_is_one_identity() -> None:
    berlin = T.astimezone(timezone(timedelta(hours=1)))
    a = identities([Seen(1, "<x@y>", 100, T)], set())
    b = identities([Seen(9, "<x@y>", 100, berlin)], set())
    assert a[1] == b[9]


def test_missing_or_repeated_ids_use_the_header_hash_on_both_sides() -> None:
    source = [Seen(1, "<dup@y>", 10, T, b"H1"), Seen(2, "<dup@y>", 10, T, b"H2"), Seen(3, None, 10, T, b"H3")]
    dest = [Seen(7, "<dup@y>", 10, T, b"H2")]  # only one of the two copies arrived
    repeated = repeated_ids(source, dest)
    assert repeated == {"<dup@y>"}
    src, dst = identities(source, repeated), identities(dest, repeated)
    assert match(src, dst) == {2: 7}, "the copy that arrived is the second, told apart by its header"


def test_identical_messages_are_matched_once_each() -> None:
    same = {1: "m:<a>|5|t", 2: "m:<a>|5|t", 3: "m:<b>|5|t"}
    assert match(same, {10: "m:<a>|5|t"}) == {1: 10}
    assert match(same, {10: "m:<a>|5|t", 11: "m:<a>|5|t", 12: "m:<b>|5|t"}) == {1: 10, 2: 11, 3: 12}


def test_the_message_id_read_from_a_fetched_body_is_the_one_the_server_answers_for_the_field() -> None:
    """A copy's recorded identity comes from its body; light FETCHes ask the server for the field."""
    from mailvault.migrate.fetched import identity_of

    date = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    cases = [  # (header block, what BODY[HEADER.FIELDS (MESSAGE-ID)] answers)
        (b"Resent-Message-ID: <r@x>\r\nmessage-id:\r\n <folded@x>\r\nSubject: a",
         b"message-id:\r\n <folded@x>\r\n\r\n"),
        (b"From: a@x\r\nMessage-ID: <one@x>\r\nMessage-ID: <two@x>",
         b"Message-ID: <one@x>\r\nMessage-ID: <two@x>\r\n\r\n"),
        (b"From: a@x\r\nSubject: no id", b"\r\n"),
    ]  # fmt: skip
    for header, fields in cases:
        body = header + b"\r\n\r\nbody text\r\n"
        seen = Seen(7, message_id(fields), len(body), date, header)
        expected = identity(seen, use_header=seen.message_id is None)
        assert identity_of({b"BODY[]": body, b"INTERNALDATE": date}) == expected
