"""What a FETCH tells about messages: sizes, Message-IDs, identities, flags. The read side of a copy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailvault.imap.client import ImapSession
from mailvault.migrate.identity import Seen, identities, identity, message_id, needs_header

HEADER_FIELD = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


def light_fetch(client: ImapSession, uids: list[int]) -> list[Seen]:
    """Message-ID, size and INTERNALDATE of ``uids`` (in chunks)."""
    seen = []
    for chunk in chunks(uids, 500):
        for uid, data in client.fetch(chunk, [HEADER_FIELD, "RFC822.SIZE", "INTERNALDATE"]).items():
            seen.append(
                Seen(uid, message_id(data.get(HEADER_KEY, b"")), int(data[b"RFC822.SIZE"]), data[b"INTERNALDATE"])
            )
    return seen


def sizes_of(client: ImapSession, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE of ``uids`` alone: the batches are cut by size, and parsing less costs less."""
    sizes: dict[int, int] = {}
    for chunk in chunks(uids, 1000):
        for uid, data in client.fetch(chunk, ["RFC822.SIZE"]).items():
            sizes[uid] = int(data[b"RFC822.SIZE"])
    return sizes


def _with_headers(client: ImapSession, seen: list[Seen], uids: set[int]) -> list[Seen]:
    if not uids:
        return seen
    headers: dict[int, bytes] = {}
    for chunk in chunks(sorted(uids), 200):
        for uid, data in client.fetch(chunk, ["BODY.PEEK[HEADER]"]).items():
            headers[uid] = data.get(b"BODY[HEADER]", b"")
    return [Seen(s.uid, s.message_id, s.size, s.internaldate, headers.get(s.uid)) if s.uid in uids else s for s in seen]


def side_identities(client: ImapSession, seen: list[Seen], repeated: set[str]) -> dict[int, str]:
    return identities(_with_headers(client, seen, needs_header(seen, repeated)), repeated)


def identity_of(data: dict[bytes, Any]) -> str:
    """The identity recorded with a copy (a header hash when the message has no Message-ID).

    The Message-ID is read from the header block of the fetched message, as the server would answer
    BODY[HEADER.FIELDS (MESSAGE-ID)] (asking for that too cost a fifth of the FETCH's parsing)."""
    body: bytes = data[b"BODY[]"]
    header = body.split(b"\r\n\r\n", 1)[0]
    seen = Seen(0, message_id(header), len(body), data[b"INTERNALDATE"], header)
    return identity(seen, use_header=seen.message_id is None)


def flags_of(data: dict[bytes, Any]) -> list[bytes]:
    return [f for f in data.get(b"FLAGS", ()) if f.lower() != b"\\recent"]


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
