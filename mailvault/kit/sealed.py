"""The kit's binary envelope: scrypt over the passphrase, AES-256-GCM, a versioned header. Pure.

Layout of format 1 (all integers big-endian)::

    0   magic    b"MVKIT\\r\\n\\x1a"   8 bytes (catches text-mode mangling, like PNG's)
    8   version  u16 = 1
    10  kdf      u8 = 1 (scrypt), then log2(N), r, p: one byte each
    14  salt     16 bytes
    30  nonce    12 bytes
    42  sealed   AES-256-GCM(zlib(payload)), 16-byte tag at its end; the header is its associated data
    -32 sha256   over everything before it

The trailing SHA-256 is not a secret check: it tells damage (a flipped byte, a truncated
file) apart from a wrong passphrase before any key is derived. The GCM tag, keyed by the
passphrase, is what proves the kit was not altered.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from mailvault.errors import KitError

MAGIC = b"MVKIT\r\n\x1a"
VERSION = 1
KDF_SCRYPT = 1
_HEADER = struct.Struct(">8sHBBBB16s12s")  # magic, version, kdf, log2n, r, p, salt, nonce
HEADER_SIZE = _HEADER.size  # 42
TAG_SIZE = 16
DIGEST_SIZE = 32
MIN_SIZE = HEADER_SIZE + TAG_SIZE + DIGEST_SIZE


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost: N = 2**log2n, 128 * r * N bytes of memory (the default: 128 MiB, ~0.4 s)."""

    log2n: int = 17
    r: int = 8
    p: int = 1

    def acceptable(self) -> bool:
        """Bounds that keep a damaged or hostile header from asking for absurd memory or time."""
        return 10 <= self.log2n <= 22 and 1 <= self.r <= 32 and 1 <= self.p <= 16


def _key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**params.log2n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def seal(payload: bytes, passphrase: str, *, params: KdfParams = KdfParams()) -> bytes:
    """Encrypt ``payload`` under ``passphrase`` into a format-1 kit."""
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _HEADER.pack(MAGIC, VERSION, KDF_SCRYPT, params.log2n, params.r, params.p, salt, nonce)
    sealed = AESGCM(_key(passphrase, salt, params)).encrypt(nonce, zlib.compress(payload, 9), header)
    body = header + sealed
    return body + hashlib.sha256(body).digest()


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def open_sealed(data: bytes, passphrase: str, *, name: str) -> bytes:
    """Return the payload of a kit. Raise KitError saying which of these it is: not a kit, a newer
    format, damaged or truncated, or a wrong passphrase. ``name`` is how errors refer to the kit.
    """
    if not data.startswith(MAGIC):
        raise KitError(f"{name} is not a mailvault recovery kit", hint="give the file `mailvault kit export` wrote")
    check_version(data, name=name)
    if len(data) < MIN_SIZE or hashlib.sha256(data[:-DIGEST_SIZE]).digest() != data[-DIGEST_SIZE:]:
        raise damaged(name, "its checksum does not match (damaged or truncated)")
    _, _, kdf, log2n, r, p, salt, nonce = _HEADER.unpack_from(data)
    params = KdfParams(log2n, r, p)
    if kdf != KDF_SCRYPT or not params.acceptable():
        raise damaged(name, "its key-derivation parameters are invalid")
    sealed = data[HEADER_SIZE:-DIGEST_SIZE]
    try:
        compressed = AESGCM(_key(passphrase, salt, params)).decrypt(nonce, sealed, data[:HEADER_SIZE])
    except InvalidTag:
        raise KitError(
            f"wrong passphrase for {name} (or the kit was altered)",
            hint="type the passphrase again; it is case-sensitive",
        ) from None
    try:
        return zlib.decompress(compressed)
    except zlib.error:
        raise damaged(name, "its content does not decompress") from None


def check_version(data: bytes, *, name: str) -> None:
    if len(data) < len(MAGIC) + 2:
        raise damaged(name, "it is truncated")
    (version,) = struct.unpack_from(">H", data, len(MAGIC))
    if version > VERSION:
        raise KitError(
            f"{name} is kit format version {version}; this mailvault reads version {VERSION} only",
            hint="open it with a newer mailvault",
        )
    if version < 1:
        raise damaged(name, f"its format version {version} is invalid")


def damaged(name: str, why: str) -> KitError:
    return KitError(f"{name} is damaged: {why}", hint="use another copy of the kit (paper or offline media)")
