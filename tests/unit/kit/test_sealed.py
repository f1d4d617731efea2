import struct

import pytest

from mailvault.errors import KitError
from mailvault.kit import sealed
from mailvault.kit.sealed import HEADER_SIZE, KdfParams, open_sealed, seal

FAST = KdfParams(log2n=10)  # the format's real default is 2**17; the header carries whichever was used
PAYLOAD = b'{"password": "correct horse battery staple"}' * 10


@pytest.fixture(scope="module")
def kit() -> bytes:
    return seal(PAYLOAD, "a long kit passphrase", params=FAST)


def test_round_trip_and_the_header_layout(kit: bytes) -> None:
    assert open_sealed(kit, "a long kit passphrase", name="k") == PAYLOAD
    assert kit[:8] == b"MVKIT\r\n\x1a"
    assert struct.unpack_from(">HBBBB", kit, 8) == (1, 1, 10, 8, 1)
    assert b"correct horse" not in kit  # sealed, not merely encoded


def test_the_default_kdf_is_memory_hard() -> None:
    assert KdfParams() == KdfParams(17, 8, 1)  # scrypt, 128 MiB


def test_wrong_passphrase_says_so(kit: bytes) -> None:
    with pytest.raises(KitError, match="wrong passphrase for k"):
        open_sealed(kit, "another passphrase here", name="k")


REGIONS = {
    "magic": range(0, 8),
    "version": range(8, 10),
    "kdf parameters": range(10, 14),
    "salt": range(14, 30),
    "nonce": range(30, HEADER_SIZE),
    "ciphertext": range(HEADER_SIZE, -48),
    "tag": range(-48, -32),
    "checksum": range(-32, 0),
}


@pytest.mark.parametrize("region", list(REGIONS))
def test_a_flipped_byte_anywhere_is_a_clear_error(kit: bytes, region: str) -> None:
    span = REGIONS[region]
    offsets = range(len(kit))[span.start : span.stop or None]
    for offset in offsets:
        damaged = bytearray(kit)
        damaged[offset] ^= 0x01
        with pytest.raises(KitError) as caught:
            open_sealed(bytes(damaged), "a long kit passphrase", name="k")
        text = caught.value.one_line()
        assert any(w in text for w in ("damaged", "not a mailvault recovery kit", "format version")), (offset, text)
        assert "wrong passphrase" not in text  # damage is told apart from a typo in the passphrase


def test_tampering_that_fixes_the_checksum_is_still_caught_by_the_tag(kit: bytes) -> None:
    import hashlib

    body = bytearray(kit[:-32])
    body[HEADER_SIZE + 3] ^= 0x40
    forged = bytes(body) + hashlib.sha256(bytes(body)).digest()
    with pytest.raises(KitError, match="or the kit was altered"):
        open_sealed(forged, "a long kit passphrase", name="k")


@pytest.mark.parametrize("keep", [0, 5, 9, 41, 60, -1])
def test_a_truncated_kit_is_damaged_not_a_traceback(kit: bytes, keep: int) -> None:
    with pytest.raises(KitError, match=r"damaged|truncated|not a mailvault"):
        open_sealed(kit[:keep], "a long kit passphrase", name="k")


def test_a_future_format_version_names_both_versions(kit: bytes) -> None:
    future = kit[:8] + struct.pack(">H", 2) + kit[10:]
    with pytest.raises(KitError, match="kit format version 2; this mailvault reads version 1"):
        open_sealed(future, "a long kit passphrase", name="k")


def test_absurd_kdf_parameters_are_refused_before_any_work() -> None:
    import hashlib

    hostile = bytearray(seal(b"x", "a long kit passphrase", params=FAST))
    hostile[11] = 40  # N = 2**40
    body = bytes(hostile[:-32])
    with pytest.raises(KitError, match="key-derivation parameters are invalid"):
        open_sealed(body + hashlib.sha256(body).digest(), "a long kit passphrase", name="k")


def test_is_sealed() -> None:
    assert sealed.is_sealed(sealed.MAGIC + b"rest") and not sealed.is_sealed(b"-----BEGIN")
