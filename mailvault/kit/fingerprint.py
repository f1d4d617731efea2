"""Is the last exported kit still current? A keyed fingerprint of the secrets, kept in the state DB."""

from __future__ import annotations

import hashlib
import hmac
import secrets as pysecrets
from dataclasses import dataclass

from mailvault.state.db import StateDB

SALT_KEY = "kit.fingerprint_salt"
EXPORTED_KEY = "kit.exported_at"
PRINT_KEY = "kit.fingerprint"
WHERE_KEY = "kit.path"
CHANGED_KEY = "secrets.changed_at"


def fingerprint(db: StateDB, values: list[str]) -> str:
    """HMAC-SHA256 of the secrets under a per-host random key: comparable, and useless to a reader."""
    salt = db.get(SALT_KEY)
    if salt is None:
        salt = pysecrets.token_hex(32)
        db.put(SALT_KEY, salt)
    return hmac.new(bytes.fromhex(salt), "\0".join(values).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Freshness:
    state: str  # "current", "stale", "never"
    exported_at: str | None
    path: str | None
    message: str

    @property
    def ok(self) -> bool:
        return self.state == "current"


def freshness(db: StateDB, values: list[str]) -> Freshness:
    """Compare today's secrets with those of the last exported kit."""
    exported, path = db.get(EXPORTED_KEY), db.get(WHERE_KEY)
    if exported is None:
        return Freshness("never", None, None, "no recovery kit was ever exported: run `mailvault kit export`")
    if db.get(PRINT_KEY) != fingerprint(db, values):
        changed = db.get(CHANGED_KEY)
        when = f" (changed {changed})" if changed else ""
        return Freshness(
            "stale",
            exported,
            path,
            f"the repository password or S3 credentials changed since the kit of {exported}{when}:"
            " run `mailvault kit export` again",
        )
    return Freshness("current", exported, path, f"the kit exported {exported} holds today's secrets")


def record_export(db: StateDB, values: list[str], *, when: str, path: str) -> None:
    db.put(PRINT_KEY, fingerprint(db, values))
    db.put(EXPORTED_KEY, when)
    db.put(WHERE_KEY, path)
