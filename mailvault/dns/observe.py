"""The mail-relevant part of a zone as each authoritative server serves it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mailvault.dns.query import Answer, Server, ask
from mailvault.dns.records import RRset, absolute
from mailvault.errors import DnsError


@dataclass
class ServerView:
    """Every answer one authoritative server gave, by (name, type)."""

    server: str
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)

    @property
    def serial(self) -> int | None:
        soa = next((a for (_, t), a in self.answers.items() if t == "SOA" and a.rrset), None)
        return int(soa.rrset.values[0].split()[2]) if soa and soa.rrset else None

    @property
    def reachable(self) -> bool:
        """Did the server answer at all (a refusal counts: the server is up, it serves no such zone)?"""
        return any(a.answered or a.status == "refused" for a in self.answers.values())


@dataclass
class Observation:
    """The zone as served: ``views[0]`` is the first authoritative server (the primary when listed first)."""

    domain: str
    zone: str
    when: datetime
    views: list[ServerView]
    selectors: tuple[str, ...] = ()

    def answer(self, name: str, rtype: str) -> Answer | None:
        """The first reachable server's answer for ``name``/``rtype``."""
        key = (absolute(name), rtype)
        for view in self.views:
            found = view.answers.get(key)
            if found is not None and found.answered:
                return found
        return None

    def rrset(self, name: str, rtype: str) -> RRset | None:
        found = self.answer(name, rtype)
        return found.rrset if found else None

    @property
    def soa(self) -> RRset:
        soa = self.rrset(self.zone, "SOA")
        assert soa is not None  # observe() refuses a zone without one
        return soa

    @property
    def negative_ttl(self) -> int:
        """How long resolvers cache "no such name": min(SOA TTL, SOA MINIMUM) (RFC 2308)."""
        return min(self.soa.ttl, int(self.soa.values[0].split()[6]))

    @property
    def mx(self) -> RRset | None:
        return self.rrset(self.domain, "MX")

    @property
    def mx_hosts(self) -> list[str]:
        return sorted({absolute(v.split()[1]) for v in self.mx.values} if self.mx else set())

    def addresses(self, host: str) -> list[str]:
        found = [self.rrset(host, "A"), self.rrset(host, "AAAA")]
        return [ip for rrset in found if rrset is not None for ip in rrset.values]

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "zone": self.zone,
            "observed_at": self.when.isoformat(),
            "servers": [{"server": v.server, "serial": v.serial, "reachable": v.reachable} for v in self.views],
        }


def questions(domain: str, selectors: tuple[str, ...], hosts: list[str]) -> list[tuple[str, str]]:
    """The (name, type) pairs asked about a mail domain and the given MX hosts."""
    d = absolute(domain)
    asked = [(d, "MX"), (d, "TXT"), (f"_dmarc.{d}", "TXT"), (f"_mta-sts.{d}", "TXT"), (f"_smtp._tls.{d}", "TXT")]
    asked += [(f"{s}._domainkey.{d}", "TXT") for s in selectors]
    for host in hosts:
        asked += [(host, "A"), (host, "AAAA"), (f"_25._tcp.{host}", "TLSA")]
    return asked


def _zone_of(server: Server, domain: str, timeout: float) -> tuple[str, Answer]:
    """The apex of the zone ``domain`` lives in, from the SOA in the answer or its authority section."""
    first = ask(server, domain, "SOA", timeout=timeout)
    if first.status == "ok" and first.rrset is not None:
        return first.name, first
    name = absolute(domain)
    while name.count(".") > 1:  # walk up: the SOA owner is the apex
        name = name.split(".", 1)[1]
        up = ask(server, name, "SOA", timeout=timeout)
        if up.status == "ok":
            return name, up
        if not up.answered:
            return name, up
    return absolute(domain), first


def _view(
    server: Server, domain: str, selectors: tuple[str, ...], extra_hosts: list[str], timeout: float
) -> tuple[str | None, ServerView]:
    view = ServerView(str(server))
    zone, soa = _zone_of(server, domain, timeout)
    view.answers[(soa.name, "SOA")] = soa
    if soa.status != "ok":
        return None, view
    view.answers[(zone, "NS")] = ask(server, zone, "NS", timeout=timeout)
    mx = ask(server, domain, "MX", timeout=timeout)
    hosts = sorted({absolute(v.split()[1]) for v in mx.rrset.values} if mx.rrset else set())
    hosts += [h for h in map(absolute, extra_hosts) if h not in hosts]
    for name, rtype in questions(domain, selectors, hosts):
        view.answers[(name, rtype)] = (
            mx if (name, rtype) == (mx.name, "MX") else ask(server, name, rtype, timeout=timeout)
        )
    return zone, view


def observe(
    domain: str,
    servers: list[Server],
    *,
    selectors: tuple[str, ...] = (),
    extra_hosts: tuple[str, ...] = (),
    timeout: float = 3.0,
    now: datetime | None = None,
) -> Observation:
    """Ask every authoritative server about ``domain``; raise DnsError when none serves a zone for it."""
    if not servers:
        raise DnsError(
            f"no authoritative server to ask about {domain}", hint="set [dns] authoritative (or server) in the config"
        )
    with ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(lambda s: _view(s, domain, selectors, list(extra_hosts), timeout), servers))
    zones = {z for z, _ in results if z}
    views = [v for _, v in results]
    if not zones:
        silent = [v.server for v in views if not v.reachable]
        if len(silent) == len(views):
            raise DnsError(
                f"no authoritative server for {domain} answered ({', '.join(silent)})",
                hint="check [dns] authoritative/server and that the servers are up",
            )
        raise DnsError(
            f"{domain} has no SOA on {', '.join(v.server for v in views)}: no zone is served for it",
            hint="check the domain's spelling, or which servers are authoritative for it",
        )
    zone = sorted(zones, key=len)[-1]
    return Observation(absolute(domain), zone, now or datetime.now(UTC), views, tuple(selectors))
