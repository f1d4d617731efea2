"""Sealing a summary to the fleet's public key: X25519 with a fresh key per summary, HKDF-SHA256,
ChaCha20-Poly1305. Pure. A host holds only the public key: it writes summaries it cannot read back,
and the bucket's other readers learn nothing from them.

Layout of format 1::

    0   magic      b"MVFLEET1"   8 bytes
    8   ephemeral  X25519 public key, 32 bytes
    40  nonce      12 bytes
    52  sealed     ChaCha20-Poly1305(zlib(summary)), 16-byte tag at its end

The associated data is the object's key in the bucket: a summary moved to another host's name or
kind no longer opens.
"""

from __future__ import annotations

import base64
import os
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

MAGIC = b"MVFLEET1"
PUBLIC_PREFIX, SECRET_PREFIX = "mvfleet1:", "mvfleet-secret1:"
HEADER = len(MAGIC) + 32 + 12
MAX_SIZE = 1 << 20  # a summary is a few hundred bytes; anything this large is not one


class SealError(ValueError):
    """A summary that cannot be opened: the reason, for the fleet view to list."""


def keygen() -> tuple[str, str]:
    """(public recipient, secret identity) as text: ``mvfleet1:…`` and ``mvfleet-secret1:…``."""
    secret = X25519PrivateKey.generate()
    raw = secret.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _text(PUBLIC_PREFIX, _public_raw(secret.public_key())), _text(SECRET_PREFIX, raw)


def public_of(identity: str) -> str:
    return _text(PUBLIC_PREFIX, _public_raw(_secret(identity).public_key()))


def seal(recipient: str, plaintext: bytes, aad: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    peer = X25519PublicKey.from_public_bytes(_raw(recipient, PUBLIC_PREFIX))
    eph_raw = _public_raw(ephemeral.public_key())
    key = _derive(ephemeral.exchange(peer), eph_raw, _raw(recipient, PUBLIC_PREFIX))
    nonce = os.urandom(12)
    return MAGIC + eph_raw + nonce + ChaCha20Poly1305(key).encrypt(nonce, zlib.compress(plaintext), aad)


def open_sealed(identity: str, blob: bytes, aad: bytes) -> bytes:
    """The summary sealed in ``blob``; SealError saying why it cannot be opened."""
    if len(blob) > MAX_SIZE:
        raise SealError("too large to be a summary")
    if not blob.startswith(MAGIC[:7]):
        raise SealError("not a mailvault fleet summary")
    if blob[:8] != MAGIC:
        raise SealError(f"written in a newer format ({blob[:8]!r}) than this mailvault reads")
    if len(blob) < HEADER + 16:
        raise SealError("truncated")
    secret = _secret(identity)
    eph_raw, nonce = blob[8:40], blob[40:52]
    key = _derive(
        secret.exchange(X25519PublicKey.from_public_bytes(eph_raw)), eph_raw, _public_raw(secret.public_key())
    )
    try:
        return zlib.decompress(ChaCha20Poly1305(key).decrypt(nonce, blob[52:], aad))
    except InvalidTag:
        raise SealError("does not open with this fleet key (sealed to another key, altered, or truncated)") from None
    except zlib.error:
        raise SealError("damaged inside its seal") from None


def _derive(shared: bytes, eph_raw: bytes, recipient_raw: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=eph_raw + recipient_raw, info=b"mailvault fleet summary").derive(shared)


def _public_raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _text(prefix: str, raw: bytes) -> str:
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _raw(text: str, prefix: str) -> bytes:
    """The 32 key bytes of ``text``; ValueError naming what is wrong with it."""
    text = text.strip()
    if not text.startswith(prefix):
        raise ValueError(f"a fleet key starts with {prefix!r}")
    try:
        body = text[len(prefix) :]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise ValueError("a fleet key is base64url after its prefix") from None
    if len(raw) != 32:
        raise ValueError("a fleet key holds 32 bytes")
    return raw


def _secret(identity: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_raw(identity, SECRET_PREFIX))
