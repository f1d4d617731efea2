"""Inconsistencies found in an observation built by hand (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

from mailvault.dns.checks import check
from mailvault.dns.mtasts import Policy
from mailvault.dns.observe import Observation, ServerView
from mailvault.dns.query import Answer
from mailvault.dns.records import RRset

D = "example.org."
SOA = "ns1.example.org. hostmaster.example.org. {serial} 3600 600 86400 300"


def view(server: str, serial: int, *rrsets: RRset, cname: dict[str, str] | None = None) -> ServerView:
    v = ServerView(server)
    for r in (RRset(D, "SOA", 3600, (SOA.format(serial=serial),)), *rrsets):
        v.answers[r.key] = Answer(server, r.name, r.rtype, "ok", r, authoritative=True)
    for name, target in (cname or {}).items():
        v.answers[(name, "A")] = Answer(server, name, "A", "cname", cname=target, authoritative=True)
    return v


def texts(seen: Observation, **kw: object) -> list[str]:
    args: dict[str, object] = {"policy": None, "sending_ips": [], "dkim_expected": {}}
    args.update(kw)
    return [f"{f.level}: {f.text}" for f in check(seen, **args)]  # type: ignore[arg-type]


MX = RRset(D, "MX", 3600, ("10 mx.example.org.",))
A = RRset("mx.example.org.", "A", 3600, ("192.0.2.1",))
SPF = RRset(D, "TXT", 3600, ('"v=spf1 mx -all"',))
DMARC = RRset("_dmarc.example.org.", "TXT", 3600, ('"v=DMARC1; p=none"',))


def observation(*views: ServerView, selectors: tuple[str, ...] = ()) -> Observation:
    return Observation(D, D, datetime.now(UTC), list(views), selectors)


def test_a_tidy_domain_has_no_findings() -> None:
    assert texts(observation(view("ns1", 5, MX, A, SPF, DMARC), view("ns2", 5, MX, A, SPF, DMARC))) == []


def test_serials_mta_sts_spf_dmarc() -> None:
    seen = observation(
        view("ns1", 7, MX, A, RRset(D, "TXT", 60, ('"v=spf1 ip4:198.51.100.1 -all"',))), view("ns2", 6, MX, A)
    )
    found = texts(seen, policy=Policy("enforce", 86400, ("mx.other.net",)), sending_ips=["192.0.2.1"])
    assert (
        "problem: the authoritative servers serve different serials (ns1 has 7, ns2 has 6): a secondary is behind"
        in found
    )
    assert "problem: MX host mx.example.org. is not listed in the MTA-STS policy (mode enforce)" in found
    assert "problem: SPF does not allow the sending address 192.0.2.1" in found
    assert "warning: example.org. publishes no DMARC record (_dmarc)" in found


def test_cname_mx_missing_dkim_and_a_mismatched_key() -> None:
    dkim = RRset("mail._domainkey.example.org.", "TXT", 3600, ('"v=DKIM1; k=rsa; " "p=AAAA BBBB"',))
    seen = observation(
        view("ns1", 1, MX, SPF, DMARC, dkim, cname={"mx.example.org.": "host.example.net."}), selectors=("mail", "old")
    )
    found = texts(seen, dkim_expected={"mail": "CCCC"})
    assert any("is a CNAME (to host.example.net.)" in f for f in found)
    assert "problem: DKIM selector 'old' is not published" in found
    assert "problem: DKIM selector 'mail' publishes a key that does not match the configured private key" in found
    assert not any("'mail' publishes" in f for f in texts(seen, dkim_expected={"mail": "AAAABBBB"}))


def test_no_mx_and_a_silent_server() -> None:
    silent = ServerView("ns2")
    silent.answers[(D, "SOA")] = Answer("ns2", D, "SOA", "timeout", detail="no answer within 3 s")
    found = texts(observation(view("ns1", 1, SPF, DMARC), silent))
    assert "problem: example.org. has no MX record" in found
    assert "problem: authoritative server ns2 serves no SOA for example.org." in found
    assert "problem: ns2 did not answer for example.org. SOA" in found
