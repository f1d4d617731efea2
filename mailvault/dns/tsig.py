"""TSIG keys in BIND's key-file format (what ``tsig-keygen`` writes)::

key "mailvault-update" {
    algorithm hmac-sha256;
    secret "base64...";
};
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute
from mailvault.errors import ConfigError, SecretError

_KEY = re.compile(r'key\s+"?(?P<name>[^"\s{]+)"?\s*\{(?P<body>[^}]*)\}\s*;', re.IGNORECASE | re.DOTALL)
_ALGORITHM = re.compile(r"algorithm\s+\"?(?P<value>[\w.-]+)\"?\s*;", re.IGNORECASE)
_SECRET = re.compile(r'secret\s+"(?P<value>[^"]*)"\s*;', re.IGNORECASE)
# RFC 8945 5.2: HMAC-MD5 is deprecated but still what some old servers have; GSS-TSIG is not a key file
ALGORITHMS = ("hmac-md5", "hmac-md5.sig-alg.reg.int", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
              "hmac-sha512")  # fmt: skip


@dataclass(frozen=True)
class TsigKey:
    name: str
    algorithm: str
    secret: str  # base64; registered with execute.mask on load

    def __repr__(self) -> str:
        return f"TsigKey(name={self.name!r}, algorithm={self.algorithm!r}, secret=***)"


def parse_key(text: str, *, where: str) -> TsigKey:
    """The first key in ``text``; raise ConfigError naming ``where`` when there is none or it is incomplete."""
    match = _KEY.search(text)
    if match is None:
        raise ConfigError(
            f'{where} holds no TSIG key (expected: key "name" {{ algorithm ...; secret "..."; }};)',
            hint="create one with: tsig-keygen -a hmac-sha256 NAME > FILE",
        )
    body, name = match.group("body"), match.group("name")
    algorithm, secret = _ALGORITHM.search(body), _SECRET.search(body)
    regenerate = f"regenerate it: tsig-keygen -a hmac-sha256 {name}"
    if algorithm is None or secret is None:
        lacks = "algorithm" if algorithm is None else "secret"
        raise ConfigError(f"{where}: key {name!r} has no {lacks} line", hint=regenerate)
    value = "".join(secret.group("value").split())
    try:
        decoded = base64.b64decode(value, validate=True)
    except binascii.Error:
        decoded = b""
    if not decoded:
        raise ConfigError(f"{where}: the secret of key {name!r} is not base64", hint=regenerate)
    algo = algorithm.group("value").lower()
    if algo not in ALGORITHMS:
        raise ConfigError(
            f"{where}: key {name!r} has algorithm {algo!r}, not one of {', '.join(ALGORITHMS[2:])}", hint=regenerate
        )
    execute.register_secret(value)
    return TsigKey(name, algo, value)


def load_key(path: Path) -> TsigKey:
    """Read and parse the key file at ``path``; refuse one that others can read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise SecretError(
            f"cannot read the TSIG key file {path}: {exc.strerror}", hint="set [dns] tsig_key_file to a readable file"
        ) from None
    if mode & 0o077 & ~0o040:  # group-readable is how BIND ships keys (root:bind 0640); world is not
        raise SecretError(f"the TSIG key file {path} is readable by others", hint=f"chmod 600 {path}")
    return parse_key(text, where=str(path))
