from __future__ import annotations

import pytest

from mailvault.dns.records import Change, RRset, absolute


@pytest.mark.parametrize(
    ("name", "zone", "expected"),
    [
        ("mx", "example.org", "mx.example.org."),
        ("@", "example.org.", "example.org."),
        ("Example.ORG", "example.org", "example.org."),
        ("mx.example.org", "example.org", "mx.example.org."),
        ("mx.notexample.org", "example.org", "mx.notexample.org.example.org."),
        ("a.b.", None, "a.b."),
    ],
)
def test_absolute(name: str, zone: str | None, expected: str) -> None:
    assert absolute(name, zone) == expected


def test_rrsets_compare_by_canonical_data() -> None:
    a = RRset("Example.org", "mx", 300, ("20 b.", "10 a."))
    assert a.name == "example.org." and a.rtype == "MX" and a.values == ("10 a.", "20 b.")
    assert a.same_data(RRset("example.org.", "MX", 60, ("10 a.", "20 b."))) and not a.same_data(None)
    assert RRset.from_dict(a.as_dict()) == a
    assert a.text() == ["example.org. 300 IN MX 10 a.", "example.org. 300 IN MX 20 b."]


def test_changes() -> None:
    a = RRset("example.org.", "MX", 300, ("10 a.",))
    c = Change(a, None)
    assert c.inverse == Change(None, a) and c.key == ("example.org.", "MX") and not c.noop
    assert Change.from_dict(c.as_dict()) == c
    assert c.describe() == "MX example.org.: 300 [10 a.] -> absent"
    with pytest.raises(ValueError, match="before or an after"):
        Change(None, None)
    with pytest.raises(ValueError, match="keeps its name"):
        Change(a, RRset("other.org.", "MX", 300, ("10 a.",)))


def test_the_issues_reference_dns_section_validates_as_written() -> None:
    import tomllib

    from mailvault.config.schema import DnsSection

    text = """
[dns]
backend = "rfc2136"
server = "127.0.0.1:15353"                 # where updates are sent (the primary)
tsig_key_file = "/etc/mailvault/tsig.key"  # BIND key-file format: key "name" { algorithm hmac-sha256; secret "..."; };
resolvers = ["127.0.0.1:15353"]            # the panel that `gate` and `verify` ask
"""
    section = DnsSection.model_validate(tomllib.loads(text)["dns"])
    assert section.backend == "rfc2136" and section.server == "127.0.0.1:15353"
    assert section.resolvers == ["127.0.0.1:15353"] and section.authoritative == []
