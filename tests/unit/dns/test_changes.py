"""What lower-ttl, cutover and raise-ttl change, for both kinds of cutover."""

from __future__ import annotations

import pytest

from mailvault.dns.changes import PlanError, ZoneFacts, combine, compute_changes, drop_senders
from mailvault.dns.records import Change, RRset

D = "example.org."


def facts(*rrsets: RRset) -> ZoneFacts:
    return ZoneFacts(D, D, {r.key: r for r in rrsets})


MX = RRset(D, "MX", 3600, ("10 mx.example.org.", "20 backup.example.net."))
HOST_A = RRset("mx.example.org.", "A", 7200, ("192.0.2.1",))
SPF = RRset(D, "TXT", 900, ('"v=spf1 ip4:192.0.2.1 -all"', '"google-site-verification=x"'))


def test_a_new_host_in_the_zone_is_published_early_and_the_mx_replaced() -> None:
    c = compute_changes(
        facts(MX, HOST_A, SPF), new_mx="mx2.example.org", new_ips=["198.51.100.7", "2001:db8::7"], low_ttl=300
    )
    assert c.mode == "new-host" and c.new_names == ["mx2.example.org."]
    assert Change(None, RRset("mx2.example.org.", "A", 300, ("198.51.100.7",))) in c.prepare
    assert Change(None, RRset("mx2.example.org.", "AAAA", 300, ("2001:db8::7",))) in c.prepare
    assert Change(MX, MX.with_ttl(300)) in c.prepare
    spf = next(ch for ch in c.prepare if ch.key == (D, "TXT"))
    assert spf.after is not None and '"v=spf1 ip4:192.0.2.1 ip4:198.51.100.7 ip6:2001:db8::7 -all"' in spf.after.values
    assert '"google-site-verification=x"' in spf.after.values and spf.after.ttl == 900
    assert c.spf_ttl == 900
    assert c.cutover == [Change(MX.with_ttl(300), RRset(D, "MX", 300, ("10 mx2.example.org.",)))]
    assert Change(RRset(D, "MX", 300, ("10 mx2.example.org.",)), RRset(D, "MX", 3600, ("10 mx2.example.org.",))) in (
        c.raise_ttl
    )
    assert c.watched == [(D, "MX")]
    assert c.old_senders == ["192.0.2.1"]


def test_in_place_replaces_the_hosts_addresses_and_warns_about_a_lost_aaaa() -> None:
    aaaa = RRset("mx.example.org.", "AAAA", 7200, ("2001:db8::1",))
    c = compute_changes(facts(MX, HOST_A, aaaa), new_mx="mx.example.org.", new_ips=["198.51.100.7"], low_ttl=300)
    assert c.mode == "in-place"
    assert Change(HOST_A, HOST_A.with_ttl(300)) in c.prepare and Change(aaaa, aaaa.with_ttl(300)) in c.prepare
    assert Change(HOST_A.with_ttl(300), RRset("mx.example.org.", "A", 300, ("198.51.100.7",))) in c.cutover
    assert Change(aaaa.with_ttl(300), None) in c.cutover
    assert any("loses its AAAA" in w for w in c.warnings)
    assert sorted(c.watched) == [("mx.example.org.", "A"), ("mx.example.org.", "AAAA")]
    assert (
        Change(
            RRset("mx.example.org.", "A", 300, ("198.51.100.7",)),
            RRset("mx.example.org.", "A", 7200, ("198.51.100.7",)),
        )
        in c.raise_ttl
    )


def test_ttls_already_low_are_not_touched() -> None:
    low = MX.with_ttl(60)
    c = compute_changes(facts(low), new_mx="mx.other.net.", new_ips=[], low_ttl=300)
    assert c.prepare == [] and c.cutover[0].before == low
    assert any("outside the zone" in w for w in c.warnings)


@pytest.mark.parametrize(
    ("rrsets", "new_mx", "ips", "message"),
    [
        ((), "mx2.example.org", ["192.0.2.9"], "has no MX record"),
        ((MX,), "mx.example.org", [], "give --new-ip"),
        ((MX,), "mx2.example.org", [], "has no address in the zone"),
        ((MX, RRset("mx2.example.org.", "A", 60, ("192.0.2.5",))), "mx2.example.org", ["192.0.2.9"], "already has A"),
        ((MX,), "mx.other.net", ["192.0.2.9"], "outside zone"),
        (
            (MX, RRset("backup.example.net.", "A", 60, ("192.0.2.5",))),
            "backup.example.net",
            ["192.0.2.9"],
            "not in zone",
        ),
    ],
)
def test_requests_that_do_not_fit_the_zone(
    rrsets: tuple[RRset, ...], new_mx: str, ips: list[str], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        compute_changes(facts(*rrsets), new_mx=new_mx, new_ips=ips, low_ttl=300)


def test_no_spf_is_a_warning_and_an_existing_address_is_accepted() -> None:
    present = RRset("mx2.example.org.", "A", 60, ("192.0.2.9",))
    c = compute_changes(facts(MX, present), new_mx="mx2.example.org", new_ips=["192.0.2.9"], low_ttl=300)
    assert c.new_names == [] and all(ch.key != present.key for ch in c.prepare)
    assert any("no SPF record" in w for w in c.warnings)


def test_dropping_old_senders_and_combining_steps() -> None:
    widened = RRset(D, "TXT", 900, ('"v=spf1 ip4:192.0.2.1 ip4:198.51.100.7 -all"',))
    drop = drop_senders(widened, ["192.0.2.1"])
    assert drop is not None and drop.after == RRset(D, "TXT", 900, ('"v=spf1 ip4:198.51.100.7 -all"',))
    assert drop_senders(widened, ["203.0.113.1"]) is None
    first = Change(MX, MX.with_ttl(300))
    merged = combine([first], [Change(MX.with_ttl(300), MX)])
    assert merged == [], "a change and its undo cancel out"
    then = Change(MX.with_ttl(300), MX.with_ttl(60))
    assert combine([first], [then]) == [Change(MX, MX.with_ttl(60))]
