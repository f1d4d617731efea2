"""Who a message is, across two servers (pure).

A copied message keeps its bytes and its INTERNALDATE, so (Message-ID, size, INTERNALDATE) names it on
both sides. Where the Message-ID is missing, or repeated within the folder on either side, a hash of the
whole header block stands in for it (on both sides alike). Identities are compared as multisets:
two genuinely identical messages are two messages.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

_MESSAGE_ID = re.compile(rb"^message-id:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Seen:
    """What a FETCH told about one message (``header``: the full header block, when fetched)."""

    uid: int
    message_id: str | None
    size: int
    internaldate: datetime
    header: bytes | None = None


def message_id(header_fields: bytes) -> str | None:
    """The Message-ID from a ``BODY[HEADER.FIELDS (MESSAGE-ID)]`` answer (folded lines unfolded)."""
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", header_fields)
    found = _MESSAGE_ID.search(unfolded.strip())
    if not found:
        return None
    value = found.group(1).strip().decode("utf-8", "replace")
    return value or None


def when(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


def repeated_ids(*sides: Iterable[Seen]) -> set[str]:
    """Message-IDs that appear more than once within any side: too weak to name a message."""
    found: set[str] = set()
    for side in sides:
        counts = Counter(s.message_id for s in side if s.message_id)
        found |= {mid for mid, n in counts.items() if n > 1}
    return found


def needs_header(seen: Iterable[Seen], repeated: set[str]) -> set[int]:
    """UIDs whose Message-ID is missing or repeated: their header block must be hashed."""
    return {s.uid for s in seen if not s.message_id or s.message_id in repeated}


def identity(s: Seen, *, use_header: bool) -> str:
    if use_header:
        if s.header is None:
            raise ValueError(f"UID {s.uid} needs its header block for an identity")
        return f"h:{hashlib.sha256(s.header).hexdigest()[:32]}|{s.size}|{when(s.internaldate)}"
    return f"m:{s.message_id}|{s.size}|{when(s.internaldate)}"


def identities(seen: Iterable[Seen], repeated: set[str]) -> dict[int, str]:
    """UID -> identity for one side's messages; both sides must be given the same ``repeated``."""
    items = list(seen)
    hashed = needs_header(items, repeated)
    return {s.uid: identity(s, use_header=s.uid in hashed) for s in items}


def match(pending: dict[int, str], present: dict[int, str]) -> dict[int, int]:
    """Source UID -> destination UID for the pending messages already on the destination (by
    identity; each destination copy answers for one source message)."""
    free: dict[str, list[int]] = {}
    for dest_uid in sorted(present):
        free.setdefault(present[dest_uid], []).append(dest_uid)
    found: dict[int, int] = {}
    for uid in sorted(pending):
        copies = free.get(pending[uid])
        if copies:
            found[uid] = copies.pop(0)
    return found
