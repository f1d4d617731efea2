"""A message's SHA-256 as IMAP serves it (CRLF line ends). Imports only hashlib, so that the
hashing helper (:mod:`mailvault.mail.hash_helper`, started with ``python -S``) is ready at once."""

from __future__ import annotations

import hashlib


def crlf_sha256(data: bytes) -> str:
    """SHA-256 of ``data`` as IMAP serves it: every line ending CRLF (a file without any CR, the
    usual maildir file, needs one replace instead of two).

    >>> crlf_sha256(b"a\\nb\\n") == crlf_sha256(b"a\\r\\nb\\r\\n") == crlf_sha256(b"a\\r\\nb\\n")
    True
    """
    crlf = data.replace(b"\n", b"\r\n") if b"\r" not in data else data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return hashlib.sha256(crlf).hexdigest()


def hash_file(path: str | bytes) -> str | None:
    """The file's :func:`crlf_sha256`, or None when it is gone or unreadable (expunged, renamed)."""
    try:
        with open(path, "rb") as fh:
            return crlf_sha256(fh.read())
    except OSError:
        return None
