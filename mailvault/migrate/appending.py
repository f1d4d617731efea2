"""The write side of a copy: APPEND and MULTIAPPEND, what the destination confirmed, throttling."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mailvault.errors import ImapRefused
from mailvault.imap.client import ImapSession
from mailvault.migrate.fetched import flags_of

logger = logging.getLogger(__name__)
_APPENDUID = re.compile(rb"APPENDUID \d+ ([\d:,]+)")
_THROTTLED = re.compile(rb"THROTTLED|LIMIT|too many|try again|rate", re.IGNORECASE)


@dataclass
class Rejected:
    folder: str
    uid: int
    size: int
    reason: str


class Refusals(Protocol):
    """Where refused messages are reported (a folder's result)."""

    source: str
    rejected: list[Rejected]


def append(
    dst: ImapSession, folder: str, messages: list[tuple[int, dict[bytes, Any]]], result: Refusals, user: str
) -> list[tuple[tuple[int, dict[bytes, Any]], int | None]]:
    """APPEND ``messages``; return those the server confirmed, with their destination UIDs (a message
    refused alone goes to ``result.rejected``)."""
    if not messages:
        return []
    if len(messages) > 1 and dst.capable("MULTIAPPEND"):
        items = [{"msg": d[b"BODY[]"], "flags": flags_of(d), "date": d[b"INTERNALDATE"]} for _u, d in messages]
        try:  # (a dropped connection is not the server's answer: committed or not, the redo finds out)
            response = retrying(lambda: dst.multiappend(folder, items), user, folder)
            uids = _appended_uids(response)
            return list(zip(messages, uids if len(uids) == len(messages) else [None] * len(messages), strict=True))
        except ImapRefused as exc:
            logger.info("%s %s: the batch was refused (%s); sending its messages one by one", user, folder, exc.reply)
    confirmed: list[tuple[tuple[int, dict[bytes, Any]], int | None]] = []
    for uid, data in messages:

        def one(d: dict[bytes, Any] = data) -> bytes:
            return dst.append(folder, d[b"BODY[]"], flags_of(d), d[b"INTERNALDATE"])

        try:
            response = retrying(one, user, folder)
        except ImapRefused as exc:
            reason = exc.reply
            result.rejected.append(Rejected(result.source, uid, len(data[b"BODY[]"]), reason))
            logger.warning("%s %s: UID %d (%d bytes) refused by the destination: %s",
                           user, result.source, uid, len(data[b"BODY[]"]), reason)  # fmt: skip
            continue
        found = _appended_uids(response)
        confirmed.append(((uid, data), found[0] if found else None))
    return confirmed


def retrying(call: Callable[[], bytes], user: str, folder: str) -> bytes:
    """Run an APPEND; a throttling answer (NO [LIMIT], "too many", "try again") waits and tries again."""
    for attempt in range(8):
        try:
            return call()
        except ImapRefused as exc:
            if not _THROTTLED.search(exc.reply.encode()) or attempt == 7:
                raise
            wait = min(60, 2**attempt)
            logger.warning("%s %s: the destination is throttling (%s); waiting %d s", user, folder, exc.reply, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _appended_uids(response: bytes) -> list[int]:
    found = _APPENDUID.search(response)
    if not found:
        return []
    uids: list[int] = []
    for part in found.group(1).decode().split(","):
        low, _, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids
