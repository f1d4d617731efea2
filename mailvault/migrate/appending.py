"""The write side of a copy: APPEND and MULTIAPPEND, what the destination confirmed, throttling."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from mailvault.mail import utf7
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
    dst: IMAPClient, folder: str, messages: list[tuple[int, dict[bytes, Any]]], result: Refusals, user: str
) -> list[tuple[tuple[int, dict[bytes, Any]], int | None]]:
    """APPEND ``messages``; return those the server confirmed, with their destination UIDs (a message
    refused alone goes to ``result.rejected``)."""
    if not messages:
        return []
    if len(messages) > 1 and dst.has_capability("MULTIAPPEND"):
        items = [{"msg": d[b"BODY[]"], "flags": flags_of(d), "date": d[b"INTERNALDATE"]} for _u, d in messages]
        try:
            response = retrying(lambda: _multiappend(dst, folder, items), user, folder)
            uids = _appended_uids(response)
            return list(zip(messages, uids if len(uids) == len(messages) else [None] * len(messages), strict=True))
        except IMAPClientAbortError:
            raise  # the connection, not the server's answer: committed or not, the redo finds out
        except IMAPClientError as exc:
            logger.info("%s %s: the batch was refused (%s); sending its messages one by one", user, folder, exc)
    confirmed: list[tuple[tuple[int, dict[bytes, Any]], int | None]] = []
    for uid, data in messages:

        def one(d: dict[bytes, Any] = data) -> Any:
            return dst.append(folder, d[b"BODY[]"], flags=flags_of(d), msg_time=d[b"INTERNALDATE"])

        try:
            response = retrying(one, user, folder)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            reason = str(exc)
            result.rejected.append(Rejected(result.source, uid, len(data[b"BODY[]"]), reason))
            logger.warning("%s %s: UID %d (%d bytes) refused by the destination: %s",
                           user, result.source, uid, len(data[b"BODY[]"]), reason)  # fmt: skip
            continue
        found = _appended_uids(response)
        confirmed.append(((uid, data), found[0] if found else None))
    return confirmed


def _multiappend(dst: IMAPClient, folder: str, items: list[dict[str, Any]]) -> Any:
    """MULTIAPPEND ``items``; raise IMAPClientError when the server says NO or BAD.

    imapclient's ``multiappend`` returns the server's NO (``('NO', [b'[OVERQUOTA] ...'])``) instead of
    raising it, and only sends a folder name it encoded itself (so it gets the decoded name)."""
    dst.folder_encode = True
    try:
        response = dst.multiappend(utf7.decode(folder), items)
    finally:
        dst.folder_encode = False
    if isinstance(response, tuple) and len(response) == 2:
        status, data = response
        status_text = status.decode() if isinstance(status, bytes) else str(status)
        if status_text.upper() != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
            raise IMAPClientError(f"append failed: {detail}")
    return response


def retrying(call: Callable[[], Any], user: str, folder: str) -> Any:
    """Run an APPEND; a throttling answer (NO [LIMIT], "too many", "try again") waits and tries again."""
    for attempt in range(8):
        try:
            return call()
        except IMAPClientError as exc:
            if isinstance(exc, IMAPClientAbortError) or not _THROTTLED.search(str(exc).encode()) or attempt == 7:
                raise
            wait = min(60, 2**attempt)
            logger.warning("%s %s: the destination is throttling (%s); waiting %d s", user, folder, exc, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _appended_uids(response: Any) -> list[int]:
    text = response if isinstance(response, bytes) else str(response).encode()
    found = _APPENDUID.search(text)
    if not found:
        return []
    uids: list[int] = []
    for part in found.group(1).decode().split(","):
        low, _, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids
