"""What each step of a cutover changes, computed from the zone as served. Pure.

Two kinds of cutover:

- **new host** (``--new-mx`` names a host that is not an MX yet): the MX RRset is replaced; the new
  host's A/AAAA (when it lies in the zone and ``--new-ip`` is given) are published ahead, in
  ``lower-ttl``, because resolvers may have cached its absence;
- **in place** (``--new-mx`` is the current MX host): the host's A/AAAA are replaced by ``--new-ip``.

``lower-ttl`` also adds the new addresses to SPF, so both servers may send during the overlap.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from mailvault.dns.records import Change, RRset, absolute
from mailvault.dns.spf import add_senders, find_spf, quote, remove_senders, unquote


@dataclass(frozen=True)
class ZoneFacts:
    """The RRsets a cutover plan starts from (as served), keyed by (name, type)."""

    domain: str
    zone: str
    rrsets: dict[tuple[str, str], RRset]

    def get(self, name: str, rtype: str) -> RRset | None:
        return self.rrsets.get((absolute(name), rtype))

    def addresses(self, host: str) -> list[str]:
        found = [self.get(host, "A"), self.get(host, "AAAA")]
        return [ip for rrset in found if rrset is not None for ip in rrset.values]


@dataclass
class CutoverChanges:
    mode: str  # "new-host" | "in-place"
    prepare: list[Change]
    cutover: list[Change]
    raise_ttl: list[Change]
    new_names: list[str]
    watched: list[tuple[str, str]]  # the RRsets resolvers must forget before the cutover
    spf_ttl: int | None
    warnings: list[str] = field(default_factory=list)
    old_senders: list[str] = field(default_factory=list)


def _in_zone(name: str, zone: str) -> bool:
    return absolute(name) == absolute(zone) or absolute(name).endswith("." + absolute(zone))


def _split(ips: list[str]) -> dict[str, tuple[str, ...]]:
    by_type: dict[str, list[str]] = {"A": [], "AAAA": []}
    for ip in ips:
        by_type["AAAA" if ipaddress.ip_address(ip).version == 6 else "A"].append(ip)
    return {t: tuple(v) for t, v in by_type.items()}


def _lowered(rrset: RRset | None, low_ttl: int) -> Change | None:
    if rrset is None or rrset.ttl <= low_ttl:
        return None
    return Change(rrset, rrset.with_ttl(low_ttl))


class PlanError(ValueError):
    """The requested cutover cannot be planned against this zone (the message says why)."""


@dataclass
class _Draft:
    """The changes being gathered for one cutover plan."""

    prepare: list[Change] = field(default_factory=list)
    cutover: list[Change] = field(default_factory=list)
    raise_ttl: list[Change] = field(default_factory=list)
    new_names: list[str] = field(default_factory=list)
    watched: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compute_changes(facts: ZoneFacts, *, new_mx: str, new_ips: list[str], low_ttl: int) -> CutoverChanges:
    """The changes of lower-ttl, cutover and raise-ttl; raise PlanError when the request does not fit.

    >>> facts = ZoneFacts("example.org.", "example.org.", {
    ...     ("example.org.", "MX"): RRset("example.org.", "MX", 3600, ("10 mx.old.net.",))})
    >>> c = compute_changes(facts, new_mx="mx.example.org", new_ips=["192.0.2.7"], low_ttl=300)
    >>> [ch.describe() for ch in c.cutover]
    ['MX example.org.: 300 [10 mx.old.net.] -> 300 [10 mx.example.org.]']
    """
    domain, zone = absolute(facts.domain), absolute(facts.zone)
    new_host = absolute(new_mx)
    mx = facts.get(domain, "MX")
    if mx is None:
        raise PlanError(f"{domain} has no MX record to switch; publish the new one directly")
    hosts = [absolute(v.split()[1]) for v in mx.values]
    old_ips = [ip for h in hosts for ip in facts.addresses(h)]
    draft = _Draft()
    if new_host in hosts:
        mode = "in-place"
        _readdress(draft, facts, zone, mx, new_host, new_ips, low_ttl)
    else:
        mode = "new-host"
        _new_host(draft, facts, zone, domain, mx, new_host, new_ips, low_ttl)
    spf_ttl = _widen_spf(draft, facts, domain, new_ips)
    return CutoverChanges(
        mode,
        draft.prepare,
        draft.cutover,
        draft.raise_ttl,
        draft.new_names,
        draft.watched,
        spf_ttl,
        draft.warnings,
        [ip for ip in old_ips if ip not in new_ips],
    )


def _readdress(
    draft: _Draft, facts: ZoneFacts, zone: str, mx: RRset, new_host: str, new_ips: list[str], low_ttl: int
) -> None:
    """The MX host stays; its A/AAAA records change to ``new_ips``."""
    if not new_ips:
        raise PlanError(f"{new_host} is already the MX: give --new-ip for its new address(es)")
    if not _in_zone(new_host, zone):
        raise PlanError(f"{new_host} is not in zone {zone}: its addresses cannot be changed here")
    by_type = _split(new_ips)
    for rtype in ("A", "AAAA"):
        current = facts.get(new_host, rtype)
        after_values = by_type[rtype]
        if current is None and not after_values:
            continue
        if current is not None and not after_values:
            draft.warnings.append(
                f"{new_host} loses its {rtype} record ({', '.join(current.values)}): "
                f"give --new-ip for a new {rtype} address to keep one"
            )
        if (low := _lowered(current, low_ttl)) is not None:
            draft.prepare.append(low)
        before = current.with_ttl(min(current.ttl, low_ttl)) if current else None
        after = RRset(new_host, rtype, low_ttl, after_values) if after_values else None
        draft.cutover.append(Change(before, after))
        if current is not None:
            draft.watched.append((new_host, rtype))
        if after is not None:
            draft.raise_ttl.append(Change(after, after.with_ttl(current.ttl if current else mx.ttl)))


def _new_host(
    draft: _Draft, facts: ZoneFacts, zone: str, domain: str, mx: RRset, new_host: str, new_ips: list[str],
    low_ttl: int,
) -> None:  # fmt: skip
    """The MX moves to another host; its addresses are published first when they are in the zone."""
    by_type = _split(new_ips)
    for rtype in ("A", "AAAA"):
        existing = facts.get(new_host, rtype)
        wanted = by_type[rtype]
        if existing is not None and wanted and existing.values != tuple(sorted(wanted)):
            raise PlanError(
                f"{new_host} already has {rtype} {', '.join(existing.values)}, not "
                f"{', '.join(wanted)}: fix --new-ip or the record first"
            )
        if existing is None and wanted:
            if not _in_zone(new_host, zone):
                raise PlanError(
                    f"{new_host} is outside zone {zone}: publish its {rtype} where it lives and leave out --new-ip"
                )
            published = RRset(new_host, rtype, low_ttl, wanted)
            draft.prepare.append(Change(None, published))
            draft.raise_ttl.append(Change(published, published.with_ttl(mx.ttl)))
            if new_host not in draft.new_names:
                draft.new_names.append(new_host)
    if facts.get(new_host, "A") is None and facts.get(new_host, "AAAA") is None and not new_ips:
        if _in_zone(new_host, zone):
            raise PlanError(f"{new_host} has no address in the zone: give --new-ip to publish one")
        draft.warnings.append(f"{new_host} lies outside the zone: the gate checks that resolvers find its address")
    if (low := _lowered(mx, low_ttl)) is not None:
        draft.prepare.append(low)
    preference = min(int(v.split()[0]) for v in mx.values)
    before = mx.with_ttl(min(mx.ttl, low_ttl))
    after = RRset(domain, "MX", low_ttl, (f"{preference} {new_host}",))
    draft.cutover.append(Change(before, after))
    draft.raise_ttl.append(Change(after, after.with_ttl(mx.ttl)))
    draft.watched.append((domain, "MX"))


def _widen_spf(draft: _Draft, facts: ZoneFacts, domain: str, new_ips: list[str]) -> int | None:
    """Add the new sender to the SPF record before the cutover; its TTL (the wait it adds), or None."""
    txt = facts.get(domain, "TXT")
    spf = find_spf(txt.values) if txt else None
    if spf is not None and new_ips and txt is not None:
        widened = add_senders(spf, new_ips)
        if widened != spf:
            values = tuple(quote(widened) if unquote(v) == spf else v for v in txt.values)
            draft.prepare.append(Change(txt, RRset(domain, "TXT", txt.ttl, values)))
            return txt.ttl
    elif spf is None and new_ips:
        draft.warnings.append(f"{domain} publishes no SPF record: receivers cannot tell the new sender is allowed")
    return None


def drop_senders(txt: RRset, old_senders: list[str]) -> Change | None:
    """The SPF change that removes ``old_senders`` (after the old server is gone), or None."""
    spf = find_spf(txt.values)
    if spf is None:
        return None
    narrowed = remove_senders(spf, old_senders)
    if narrowed == spf:
        return None
    return Change(
        txt, RRset(txt.name, "TXT", txt.ttl, tuple(quote(narrowed) if unquote(v) == spf else v for v in txt.values))
    )


def combine(first: list[Change], then: list[Change]) -> list[Change]:
    """Two change lists applied one after the other, as one list (a key changed twice goes from the
    first ``before`` to the last ``after``; no-ops vanish)."""
    merged: dict[tuple[str, str], Change] = {}
    for change in [*first, *then]:
        earlier = merged.get(change.key)
        merged[change.key] = Change(earlier.before, change.after) if earlier else change
    return [c for c in merged.values() if not c.noop]
