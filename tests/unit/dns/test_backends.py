"""The RFC 2136 update message and the lexicon adapter's calls (the servers are in tests/e2e/test_dns.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dns.rdatatype
import pytest

from mailvault.dns.backends.base import instructions
from mailvault.dns.backends.lexicon import LexiconBackend, Operations
from mailvault.dns.backends.rfc2136 import update_message
from mailvault.dns.records import Change, RRset
from mailvault.dns.tsig import TsigKey
from mailvault.errors import DnsConflict, DnsError

OLD = RRset("example.org.", "MX", 3600, ("10 mx.old.net.",))
NEW = RRset("example.org.", "MX", 300, ("10 mx.new.net.",))
ADDED = RRset("mx.example.org.", "A", 300, ("192.0.2.7",))
KEY = TsigKey("k", "hmac-sha256", "c2VjcmV0LXNlY3JldC1zZWNyZXQ=")


def test_one_update_prerequisites_first_with_ttl_zero() -> None:
    update = update_message("example.org.", [Change(OLD, NEW), Change(None, ADDED)], KEY)
    prereq = update.prerequisite
    assert [(str(r.name), dns.rdatatype.to_text(r.rdtype), r.ttl) for r in prereq] == [
        ("example.org.", "MX", 0),
        ("mx.example.org.", "A", 0),
    ]
    assert [r[0].to_text() for r in prereq if len(r)] == ["10 mx.old.net."]
    adds = [(str(r.name), r.ttl, sorted(x.to_text() for x in r)) for r in update.update if len(r)]
    assert ("example.org.", 300, ["10 mx.new.net."]) in adds and ("mx.example.org.", 300, ["192.0.2.7"]) in adds
    assert update.keyname is not None and str(update.keyname) == "k."


def test_manual_instructions() -> None:
    assert instructions([Change(None, ADDED)]) == ["add:    mx.example.org. 300 IN A 192.0.2.7"]


class Provider:
    """A provider's records as lexicon presents them, and the calls made on them."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records, self.calls = records, []  # type: tuple[list[dict[str, Any]], list[tuple[Any, ...]]]

    def list_records(
        self, rtype: str | None = None, name: str | None = None, content: str | None = None
    ) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == rtype and r["name"] == name]

    def create_record(self, rtype: str, name: str, content: str) -> bool:
        self.calls.append(("create", rtype, name, content, self.ttl))
        self.records.append({"type": rtype, "name": name, "content": content})
        return True

    def delete_record(
        self,
        identifier: str | None = None,
        rtype: str | None = None,
        name: str | None = None,
        content: str | None = None,
    ) -> bool:
        self.calls.append(("delete", rtype, name, content))
        self.records = [
            r for r in self.records if not (r["type"] == rtype and r["name"] == name and r["content"] == content)
        ]
        return True

    def session(self, ttl: int | None) -> Any:
        @contextmanager
        def opened() -> Iterator[Operations]:
            self.ttl = ttl
            yield self

        return opened()


def test_lexicon_checks_every_before_then_replaces_record_by_record() -> None:
    provider = Provider([{"type": "MX", "name": "example.org", "content": "10 mx.old.net"}])
    LexiconBackend("x", "example.org.", session=provider.session).apply("example.org.", [Change(OLD, NEW)])
    assert provider.calls == [
        ("delete", "MX", "example.org", "10 mx.old.net"),
        ("create", "MX", "example.org", "10 mx.new.net", 300),
    ]


def test_lexicon_refuses_when_the_provider_holds_something_else() -> None:
    provider = Provider([{"type": "MX", "name": "example.org", "content": "10 mx.someone-else.net"}])
    with pytest.raises(DnsConflict, match="not what the change expects"):
        LexiconBackend("x", "example.org.", session=provider.session).apply("example.org.", [Change(OLD, NEW)])
    assert provider.calls == []


def test_lexicon_provider_errors_become_one_operator_line() -> None:
    def broken(ttl: int | None) -> Any:
        raise RuntimeError("401 Unauthorized")

    with pytest.raises(DnsError, match=r"x \(through lexicon\) failed: RuntimeError: 401 Unauthorized"):
        LexiconBackend("x", "example.org.", session=broken).apply("example.org.", [Change(OLD, NEW)])
