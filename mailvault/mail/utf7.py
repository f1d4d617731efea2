"""IMAP modified UTF-7 (RFC 3501 section 5.1.3), the encoding of folder names on disk and on the wire."""

from __future__ import annotations

import base64


def decode(name: str) -> str:
    """Decode a modified UTF-7 folder name.

    >>> decode("Entw&APw-rfe")
    'Entwürfe'
    >>> decode("Tom &- Jerry")
    'Tom & Jerry'

    Malformed sequences are kept as they are, so a bad name is still shown.
    """
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = name.find("-", i)
        if end < 0:
            out.append(name[i:])
            break
        chunk = name[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            try:
                raw = base64.b64decode(chunk.replace(",", "/") + "=" * (-len(chunk) % 4), validate=True)
                out.append(raw.decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                out.append(name[i : end + 1])
        i = end + 1
    return "".join(out)


def encode(name: str) -> str:
    """Encode a folder name in modified UTF-7.

    >>> encode("Entwürfe")
    'Entw&APw-rfe'
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)
