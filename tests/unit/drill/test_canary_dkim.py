"""The canary's DKIM signature with real keys: signed with one key, verified against what is published."""

from __future__ import annotations

from functools import cache

from mailvault.drill import canary_dkim
from mailvault.drill.dkim import Published, public_p

NAME = "mail._domainkey.example.test"
MESSAGE = (
    b"From: mailvault-drill@example.test\r\nTo: <alice@example.com>\r\nSubject: canary\r\n"
    b"Date: Thu, 03 Dec 2026 17:00:00 +0000\r\nMessage-ID: <c@drill.invalid>\r\n\r\nHello.\r\n"
)


@cache
def key(n: int) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def delivered(message: bytes) -> bytes:
    """As Dovecot serves it after Postfix and LMTP: trace headers on top."""
    return b"Return-Path: <mailvault-drill@example.test>\r\nDelivered-To: alice@example.com\r\n" + message


def test_a_signature_verifies_against_the_key_dns_publishes() -> None:
    signed = delivered(canary_dkim.sign(MESSAGE, NAME, key(1)))
    published = Published(NAME, (f"v=DKIM1; k=rsa; p={public_p(key(1))}",), server="127.0.0.1:53")
    found = canary_dkim.verify(signed, NAME, published, public_p(key(1)))
    assert found.level == "pass" and "against the key DNS publishes at" in found.message


def test_dns_publishing_another_key_fails() -> None:
    signed = delivered(canary_dkim.sign(MESSAGE, NAME, key(1)))
    published = Published(NAME, (f"v=DKIM1; k=rsa; p={public_p(key(2))}",))
    assert canary_dkim.verify(signed, NAME, published, public_p(key(1))).level == "fail"


def test_without_an_answer_the_restored_keys_public_half_is_used_and_said() -> None:
    signed = delivered(canary_dkim.sign(MESSAGE, NAME, key(1)))
    found = canary_dkim.verify(signed, NAME, Published(NAME, problem="no resolver answered"), public_p(key(1)))
    assert found.level == "pass" and "the restored key's own public half" in found.message
    tampered = signed.replace(b"Hello.", b"Hullo.")
    assert canary_dkim.verify(tampered, NAME, Published(NAME, problem="x"), public_p(key(1))).level == "fail"
    assert canary_dkim.verify(signed, NAME, Published(NAME, problem="x"), None).level == "warn"
