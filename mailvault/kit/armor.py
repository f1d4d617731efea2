"""The printable kit: Crockford base32 in numbered lines, each with its own checksum. Pure.

Fit to print on paper and type back in: no letters that look alike (I, L, O, U are not
used; typed I/L read as 1 and O as 0), groups of four, and a CRC per line so a typo is
found on the line where it was made. Example::

    -----BEGIN MAILVAULT RECOVERY KIT-----
    Format: 1
    Host: mail.example.com
    Lines: 12

    01  MVKT 0A3R ... 7QXZ  =K3P9
    ...
    -----END MAILVAULT RECOVERY KIT-----

The header lines are for people; only the numbered lines carry the (sealed) kit.
"""

from __future__ import annotations

import base64
import re
import zlib

from mailvault.errors import KitError

BEGIN = "-----BEGIN MAILVAULT RECOVERY KIT-----"
END = "-----END MAILVAULT RECOVERY KIT-----"
_RFC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_RFC, _CROCKFORD)
_FROM_CROCKFORD = str.maketrans(_CROCKFORD + "OIL", _RFC + "AB" + "B")
CHARS_PER_LINE = 32  # 20 bytes
_LINE = re.compile(r"^(?P<no>\d+)\s+(?P<data>[0-9A-Za-z ]+?)\s+=(?P<crc>[0-9A-Za-z]{4})$")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").translate(_TO_CROCKFORD)


def _unb32(text: str) -> bytes:
    rfc = text.upper().translate(_FROM_CROCKFORD)
    return base64.b32decode(rfc + "=" * (-len(rfc) % 8))


def line_check(number: int, data: str) -> str:
    """Four characters of CRC-32 over the line number and its data (spaces ignored).

    >>> line_check(1, "0123 4567")
    'JW32'
    """
    crc = zlib.crc32(f"{number}:{data.replace(' ', '').upper()}".encode("ascii"))
    return _b32(crc.to_bytes(4, "big"))[:4]


def armor(sealed: bytes, *, host: str) -> str:
    """The printable form of a sealed kit."""
    text = _b32(sealed)
    chunks = [text[i : i + CHARS_PER_LINE] for i in range(0, len(text), CHARS_PER_LINE)]
    width = max(2, len(str(len(chunks))))
    lines = [BEGIN, "Format: 1", f"Host: {host}", f"Lines: {len(chunks)}", ""]
    for number, chunk in enumerate(chunks, start=1):
        grouped = " ".join(chunk[i : i + 4] for i in range(0, len(chunk), 4))
        lines.append(f"{number:0{width}d}  {grouped}  ={line_check(number, grouped)}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def is_armored(text: str) -> bool:
    return BEGIN in text


def dearmor(text: str, *, name: str) -> bytes:
    """The sealed kit from its printable form. Raise KitError naming the line that is wrong."""
    lines = [line.strip() for line in text.splitlines()]
    try:
        start, stop = lines.index(BEGIN), lines.index(END)
    except ValueError:
        raise KitError(f"{name}: the BEGIN or END line of the armored kit is missing", hint=_TYPE_HINT) from None
    expected = None
    data: list[str] = []
    for offset, line in enumerate(lines[start + 1 : stop], start=start + 2):
        if not line:
            continue
        if line.lower().startswith("lines:"):
            count = line.split(":", 1)[1].strip()
            if not (count.isascii() and count.isdecimal()):
                raise KitError(f"{name}, line {offset}: the Lines: header is not a number", hint=_TYPE_HINT)
            expected = int(count)
            continue
        if ":" in line and not line[0].isdecimal():
            continue  # a header for people
        match = _LINE.match(line)
        if match is None:
            raise KitError(f"{name}, line {offset}: not a kit line (`NN  XXXX XXXX ...  =CCCC`)", hint=_TYPE_HINT)
        number = int(match["no"])
        if number != len(data) + 1:
            raise KitError(
                f"{name}, line {offset}: kit line {number} where line {len(data) + 1} was expected", hint=_TYPE_HINT
            )
        if line_check(number, _normal(match["data"])) != _normal(match["crc"]):
            raise KitError(
                f"{name}, kit line {number} (line {offset} of the file): its checksum does not match: a typo?",
                hint="compare that line with the printed kit, character by character",
            )
        data.append(_normal(match["data"]).replace(" ", ""))
    if expected is not None and expected != len(data):
        raise KitError(f"{name}: {len(data)} kit lines of {expected}: some are missing", hint=_TYPE_HINT)
    if not data:
        raise KitError(f"{name}: the armored kit holds no kit lines", hint=_TYPE_HINT)
    try:
        return _unb32("".join(data))
    except ValueError:
        raise KitError(f"{name}: the kit lines do not decode", hint=_TYPE_HINT) from None


def _normal(text: str) -> str:
    """As the checksum sees it: upper case, look-alike letters read as digits."""
    return text.upper().replace("O", "0").replace("I", "1").replace("L", "1")


_TYPE_HINT = "type the kit again from the printed copy, or use the binary kit file"
