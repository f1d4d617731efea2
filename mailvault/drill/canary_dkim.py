"""The canary's DKIM signature: made with the restored private key, and checked, once the canary has
come back through Postfix and Dovecot, against the key DNS publishes for the selector (or, when no
resolver answered, against the restored key's own public half; the report says which)."""

from __future__ import annotations

from typing import Any

import dkim

from mailvault.drill.dkim import Published
from mailvault.drill.judge import Finding

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]


def split_name(name: str) -> tuple[str, str]:
    """``mail._domainkey.example.org`` -> (selector, domain).

    >>> split_name("mail._domainkey.example.org.")
    ('mail', 'example.org')
    """
    selector, _, domain = name.rstrip(".").partition("._domainkey.")
    return selector, domain


def sign(message: bytes, name: str, private_pem: bytes) -> bytes:
    """``message`` with a DKIM-Signature (relaxed/relaxed) for the record ``name``'s selector and domain."""
    selector, domain = split_name(name)
    header = dkim.sign(message, selector.encode(), domain.encode(), private_pem,
                       canonicalize=(b"relaxed", b"relaxed"), include_headers=SIGNED)  # fmt: skip
    return bytes(header) + message


def verify(message: bytes, name: str, published: Published, restored_p: str | None) -> Finding:
    """The signature of the canary as read back over IMAP, against DNS or the restored key."""
    record = next((r for r in published.records if "p=" in r), None)
    if record is not None:
        against = f"the key DNS publishes at {name}" + (f" (asked of {published.server})" if published.server else "")
    elif restored_p:
        record = f"v=DKIM1; k=rsa; p={restored_p}"
        against = f"the restored key's own public half ({published.problem or 'no resolver answered'})"
    else:
        return Finding("warn", "canary", f"the canary's DKIM signature could not be checked: no key for {name}")

    def answer(_name: Any, timeout: int = 5) -> bytes:  # dkimpy's dnsfunc: the one TXT record
        return record.encode()

    if dkim.verify(message, dnsfunc=answer):
        return Finding("pass", "canary", f"the canary, signed with the restored DKIM key, verifies against {against}")
    return Finding("fail", "canary", (
        f"the canary's DKIM signature, made with the restored key, does not verify against {against}:"
        " mail the rebuilt server signs would fail DKIM"
    ))  # fmt: skip
