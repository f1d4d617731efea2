"""TSIG keys in BIND's key-file format (what ``tsig-keygen`` writes)::

key "mailvault-update" {
    algorithm hmac-sha256;
    secret "base64...";
};
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute
from mailvault.errors import ConfigError, SecretError

_KEY = re.compile(r'key\s+"?(?P<name>[^"\s{]+)"?\s*\{(?P<body>[^}]*)\}\s*;', re.IGNORECASE | re.DOTALL)
_ALGORITHM = re.compile(r"algorithm\s+\"?(?P<value>[\w.-]+)\"?\s*;", re.IGNORECASE)
_SECRET = re.compile(r'secret\s+"(?P<value>[A-Za-z0-9+/=\s]+)"\s*;', re.IGNORECASE)


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
    body = match.group("body")
    algorithm, secret = _ALGORITHM.search(body), _SECRET.search(body)
    if algorithm is None or secret is None:
        raise ConfigError(
            f"{where}: key {match.group('name')!r} lacks its algorithm or secret", hint="regenerate it with tsig-keygen"
        )
    value = "".join(secret.group("value").split())
    execute.register_secret(value)
    return TsigKey(match.group("name"), algorithm.group("value").lower(), value)


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
