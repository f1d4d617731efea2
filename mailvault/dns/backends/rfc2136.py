"""RFC 2136 dynamic updates signed with TSIG (RFC 8945), with prerequisites (RFC 2136 §2.4) so an
update made against a zone someone else edited fails instead of overwriting their edit."""

from __future__ import annotations

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from mailvault.dns.query import Server
from mailvault.dns.records import Change, RRset
from mailvault.dns.tsig import TsigKey
from mailvault.errors import DnsConflict, DnsError, DnsUpdateRefused

_CONFLICT = {dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN}


def _rdataset(rrset: RRset) -> dns.rdataset.Rdataset:
    rtype = dns.rdatatype.from_text(rrset.rtype)
    rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rtype, v) for v in rrset.values]
    return dns.rdataset.from_rdata_list(rrset.ttl, rdatas)


def update_message(zone: str, changes: list[Change], key: TsigKey) -> dns.update.UpdateMessage:
    """One atomic update: for each change a prerequisite on its ``before``, then delete and add."""
    keyring = dns.tsigkeyring.from_text({key.name: (key.algorithm, key.secret)})
    update = dns.update.UpdateMessage(zone, keyring=keyring, keyname=dns.name.from_text(key.name))
    for change in changes:
        name = dns.name.from_text(change.key[0])
        rtype = change.key[1]
        if change.before is None:
            update.absent(name, rtype)
        else:
            update.present(name, _rdataset(change.before.with_ttl(0)))  # RFC 2136 3.2.1: TTL zero
    for change in changes:
        name = dns.name.from_text(change.key[0])
        if change.before is not None:
            update.delete(name, change.key[1])
        if change.after is not None:
            update.add(name, _rdataset(change.after))
    return update


class Rfc2136Backend:
    name = "rfc2136"
    automatic = True

    def __init__(self, server: Server, key: TsigKey, *, timeout: float) -> None:
        self.server, self.key, self.timeout = server, key, timeout

    def apply(self, zone: str, changes: list[Change]) -> None:
        if not changes:
            return
        update = update_message(zone, changes, self.key)
        where = f"the primary {self.server}"
        try:
            response = dns.query.tcp(update, self.server.host, port=self.server.port, timeout=self.timeout)
        except dns.tsig.PeerBadKey:
            raise DnsUpdateRefused(
                f"{where} does not know the TSIG key {self.key.name!r}; nothing was changed",
                hint="check [dns] tsig_key_file against the server's key",
            ) from None
        except (dns.tsig.PeerBadSignature, dns.tsig.PeerBadTime, dns.tsig.BadSignature) as exc:
            raise DnsUpdateRefused(
                f"{where} rejected the TSIG signature ({type(exc).__name__}); nothing was changed",
                hint="the key's secret or the clock is wrong: check [dns] tsig_key_file and the time on both machines",
            ) from None
        except dns.exception.Timeout:
            raise DnsError(
                f"{where} did not answer the update within {self.timeout:g} s: it may or may not have been applied",
                hint="run `mailvault dns rollback` or the step again; both read the zone first",
            ) from None
        except OSError as exc:
            raise DnsError(
                f"cannot reach {where}: {exc.strerror or exc}; nothing was changed",
                hint="check [dns] server and that the primary is up",
            ) from None
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        if rcode in _CONFLICT:
            raise DnsConflict(
                f"{where} refused the update ({text}): the zone no longer holds what was "
                "expected, so someone else changed it; nothing was overwritten",
                hint="look at the zone (mailvault dns inspect) and plan again",
            ) from None
        raise DnsUpdateRefused(
            f"{where} refused the update ({text}); nothing was changed",
            hint=f"check the zone's update-policy for the key {self.key.name!r}",
        ) from None
