"""Finding a zone's authoritative servers through the resolver panel, when the config lists none."""

from __future__ import annotations

from mailvault.dns.query import Server, ask
from mailvault.dns.records import absolute
from mailvault.errors import DnsError


def nameservers(domain: str, resolvers: list[Server], *, timeout: float) -> list[Server]:
    """The NS hosts of the zone holding ``domain`` (walking up to the apex), each at its addresses on
    port 53, as the first resolver that answers reports them; raise DnsError when none can be found."""
    for resolver in resolvers:
        name = absolute(domain)
        while name.count(".") >= 1:
            ns = ask(resolver, name, "NS", timeout=timeout, recursive=True)
            if not ns.answered:
                break  # this resolver is silent: try the next one
            if ns.rrset is not None:
                answers = [
                    ask(resolver, host, rtype, timeout=timeout, recursive=True)
                    for host in ns.rrset.values
                    for rtype in ("A", "AAAA")
                ]
                servers = [Server(ip, 53) for a in answers if a.rrset is not None for ip in a.rrset.values]
                if servers:
                    return servers
                break
            name = name.split(".", 1)[1]
    raise DnsError(
        f"cannot find the authoritative servers of {domain.rstrip('.')} through the resolvers",
        hint="list them in [dns] authoritative (host or host:port)",
    )
