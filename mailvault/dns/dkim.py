"""DKIM keys: the ``p=`` value that publishes the public half of a private key. Pure."""

from __future__ import annotations

import base64


def public_p(pem: bytes) -> str:
    """The ``p=`` that publishes the public half of a PEM private key: base64 of the DER
    SubjectPublicKeyInfo for RSA (RFC 6376), of the raw 32-byte key for Ed25519 (RFC 8463).

    Raise ValueError when ``pem`` is not an unencrypted PEM private key (the message never quotes it).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        kind = "is encrypted" if isinstance(exc, TypeError) else "is not a PEM private key"
        raise ValueError(kind) from None
    if isinstance(key, Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode()
