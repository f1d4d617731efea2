"""Asking one DNS server one question (dnspython): the edge every observation goes through.

A server is written ``host``, ``host:port`` or ``[v6]:port``; the answer says what the server said,
including silence, so a resolver that times out is a fact to report rather than an exception.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from mailvault.dns.records import RRset, absolute


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_server(text: str) -> Server:
    """``"127.0.0.1:15353"`` -> Server("127.0.0.1", 15353); no port means 53; names are resolved.

    >>> parse_server("[::1]:5353"), parse_server("192.0.2.1")
    (Server(host='::1', port=5353), Server(host='192.0.2.1', port=53))
    """
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = int(port_text)
    else:
        host, port = text, 53
    if not 0 < port < 65536:
        raise ValueError(f"{text!r}: port {port} is out of range")
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        try:
            host = str(socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0])
        except OSError:
            raise ValueError(f"{text!r}: cannot resolve the server's name") from None
    return Server(host, port)


@dataclass(frozen=True)
class Answer:
    """What ``server`` said about ``name``/``rtype``.

    ``status``: "ok" (``rrset`` set), "nodata" (name exists, no such type), "nxdomain", "cname"
    (``cname`` set: the name is an alias), "refused", "servfail", "timeout" or "error" (``detail``).
    ``negative_ttl`` is the TTL of the SOA in a negative answer (what a resolver caches).
    """

    server: str
    name: str
    rtype: str
    status: str
    rrset: RRset | None = None
    negative_ttl: int | None = None
    cname: str | None = None
    authoritative: bool = False
    detail: str = ""

    @property
    def answered(self) -> bool:
        return self.status in ("ok", "nodata", "nxdomain", "cname")


def ask(server: Server, name: str, rtype: str, *, timeout: float, recursive: bool = False) -> Answer:
    """Ask ``server`` for ``name``/``rtype`` over UDP (TCP when truncated)."""
    qname = absolute(name)
    query = dns.message.make_query(qname, rtype)
    if not recursive:
        query.flags &= ~dns.flags.RD
    where = str(server)
    try:
        response = dns.query.udp(query, server.host, port=server.port, timeout=timeout, raise_on_truncation=True)
    except dns.message.Truncated:
        try:
            response = dns.query.tcp(query, server.host, port=server.port, timeout=timeout)
        except (dns.exception.Timeout, OSError) as exc:
            return Answer(where, qname, rtype, "timeout", detail=str(exc) or "no answer over TCP")
    except dns.exception.Timeout:
        return Answer(where, qname, rtype, "timeout", detail=f"no answer within {timeout:g} s")
    except (OSError, dns.exception.DNSException) as exc:
        return Answer(where, qname, rtype, "error", detail=str(exc))
    return _read(where, qname, rtype, response)


def _read(where: str, qname: str, rtype: str, response: dns.message.Message) -> Answer:
    aa = bool(response.flags & dns.flags.AA)
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        return Answer(where, qname, rtype, "refused", authoritative=aa, detail="the server refused the query")
    if rcode == dns.rcode.SERVFAIL:
        return Answer(where, qname, rtype, "servfail", authoritative=aa, detail="SERVFAIL")
    wanted = dns.rdatatype.from_text(rtype)
    owner = dns.name.from_text(qname)
    for rrset in response.answer:
        if rrset.name == owner and rrset.rdtype == wanted:
            values = tuple(r.to_text() for r in rrset)
            return Answer(where, qname, rtype, "ok", RRset(qname, rtype, rrset.ttl, values), authoritative=aa)
    for rrset in response.answer:
        if rrset.name == owner and rrset.rdtype == dns.rdatatype.CNAME:
            return Answer(where, qname, rtype, "cname", cname=rrset[0].to_text(), authoritative=aa)
    soa = next((r for r in response.authority if r.rdtype == dns.rdatatype.SOA), None)
    negative = min(soa.ttl, soa[0].minimum) if soa is not None else None
    status = "nxdomain" if rcode == dns.rcode.NXDOMAIN else "nodata"
    if rcode not in (dns.rcode.NXDOMAIN, dns.rcode.NOERROR):
        return Answer(where, qname, rtype, "error", authoritative=aa, detail=dns.rcode.to_text(rcode))
    return Answer(where, qname, rtype, status, negative_ttl=negative, authoritative=aa)
