"""What a host tells the fleet about one run, and where it puts it. Pure.

A summary holds verdicts, times, counts and sizes, never a mailbox name, a path or a finding's
text: those stay on the host. Each is named ``<prefix><host>/<seq>-<kind>-<time>.mvs``; ``seq``
is the host's own count, so a host whose clock jumps does not reorder its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FORMAT, VERSION = "mailvault-fleet-summary", 1
PREFIX = "mailvault-fleet/"  # at the bucket's root: one place for every host sharing the bucket
KINDS = ("backup", "prune", "check", "drill")
_KEY = re.compile(r"(?P<host>[A-Za-z0-9._-]{1,63})/(?P<seq>\d{10})-(?P<kind>[a-z]+)-(?P<stamp>\d{8}T\d{6}Z)\.mvs$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def host_name(name: str) -> str:
    """A host's name as it may appear in an object key.

    >>> host_name("mail1.example.org"), host_name("böse/../name"), host_name("")
    ('mail1.example.org', 'b-se-..-name', 'host')
    """
    return _UNSAFE.sub("-", name)[:63].strip("-") or "host"


def object_key(prefix: str, host: str, seq: int, kind: str, when: datetime) -> str:
    """
    >>> from datetime import UTC
    >>> object_key(PREFIX, "mail1", 7, "drill", datetime(2026, 12, 3, 7, 0, 5, tzinfo=UTC))
    'mailvault-fleet/mail1/0000000007-drill-20261203T070005Z.mvs'
    """
    return f"{prefix}{host}/{seq:010d}-{kind}-{when:%Y%m%dT%H%M%SZ}.mvs"


@dataclass(frozen=True)
class KeyParts:
    host: str
    seq: int
    kind: str


def parse_key(key: str, prefix: str = PREFIX) -> KeyParts | None:
    """The host, sequence and kind a key names; None for anything else under the prefix.

    >>> parse_key("mailvault-fleet/mail1/0000000007-drill-20261203T070005Z.mvs")
    KeyParts(host='mail1', seq=7, kind='drill')
    >>> parse_key("mailvault-fleet/mail1/notes.txt") is None
    True
    """
    found = _KEY.match(key[len(prefix) :]) if key.startswith(prefix) else None
    return KeyParts(found["host"], int(found["seq"]), found["kind"]) if found else None


def _num(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def summarize(kind: str, run: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The summary of one run (``run``: id, started, finished, status and the history's summary) with
    the host's ``facts`` (host, seq, targets, repository size, kit freshness, version)."""
    s = _dict(run.get("summary"))
    out: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, **facts, "kind": kind, "run_id": run.get("id"),
        "started": run.get("started"), "finished": run.get("finished"), "status": run.get("status"),
    }  # fmt: skip
    if kind == "backup":
        manifest = _dict(s.get("manifest"))
        out["backup"] = {
            "duration_s": _num(s.get("duration_s")), "bytes_added": _num(s.get("bytes_added")),
            "files_new": _num(s.get("files_new")), "messages": _num(manifest.get("messages")),
            "mailboxes": _num(manifest.get("mailboxes")), "bytes": _num(manifest.get("bytes")),
        }  # fmt: skip
    elif kind == "drill":
        coverage = _dict(s.get("coverage"))
        out["drill"] = {
            "verdict": s.get("verdict") if s.get("verdict") in ("pass", "warn", "fail") else None,
            "rto_s": _num(s.get("rto_s")), "rpo_s": _num(s.get("rpo_s")), "total_s": _num(s.get("total_s")),
            "mail_flows_s": _num(_dict(s.get("canary")).get("arrived_s")),
            "coverage": _num(coverage.get("share_proven")),
            "failures": len(s.get("failures") or []), "warnings": len(s.get("warnings") or []),
        }  # fmt: skip
    elif kind == "check":
        out["check"] = {"ok": s.get("ok") if isinstance(s.get("ok"), bool) else None}
    elif kind == "prune":
        out["prune"] = {"kept": _num(s.get("kept")), "removed": _num(s.get("removed"))}
    return out
