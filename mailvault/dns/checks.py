"""Inconsistencies in a mail domain's DNS, found in an observation. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from mailvault.dns.mtasts import Policy
from mailvault.dns.observe import Observation
from mailvault.dns.spf import allows, find_spf, unquote


@dataclass(frozen=True)
class DnsFinding:
    level: str  # "problem" | "warning" | "note"
    text: str


def check(
    seen: Observation, *, policy: Policy | None, sending_ips: list[str], dkim_expected: dict[str, str]
) -> list[DnsFinding]:
    """Findings about ``seen``; ``dkim_expected`` maps selector -> the base64 public key (p=) that the
    configured private key implies."""
    return [
        *_servers(seen),
        *_mx(seen, policy),
        *_spf(seen, sending_ips),
        *([] if seen.rrset(f"_dmarc.{seen.domain}", "TXT") else
          [DnsFinding("warning", f"{seen.domain} publishes no DMARC record (_dmarc)")]),
        *_dkim(seen, dkim_expected),
    ]  # fmt: skip


def _servers(seen: Observation) -> list[DnsFinding]:
    """The authoritative servers: each serves the zone, at the same serial, and answers as its owner."""
    found = []
    serials = {v.server: v.serial for v in seen.views}
    for server, serial in serials.items():
        if serial is None:
            found.append(DnsFinding("problem", f"authoritative server {server} serves no SOA for {seen.zone}"))
    if len({s for s in serials.values() if s is not None}) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in serials.items())
        found.append(
            DnsFinding(
                "problem", f"the authoritative servers serve different serials ({listed}): a secondary is behind"
            )
        )
    for view in seen.views:
        silent = [f"{n} {t}" for (n, t), a in view.answers.items() if not a.answered]
        if silent:
            more = " and more" if len(silent) > 3 else ""
            found.append(DnsFinding("problem", f"{view.server} did not answer for {', '.join(silent[:3])}{more}"))
        elif any(not a.authoritative for a in view.answers.values() if a.status != "cname"):
            found.append(
                DnsFinding(
                    "warning",
                    f"{view.server} answers without the authoritative flag: "
                    "it is not a primary or secondary for the zone",
                )
            )
    return found


def _mx(seen: Observation, policy: Policy | None) -> list[DnsFinding]:
    """The MX record, its hosts' addresses, and the MTA-STS policy's list of them."""
    found = [] if seen.mx is not None else [DnsFinding("problem", f"{seen.domain} has no MX record")]
    for host in seen.mx_hosts:
        a = seen.answer(host, "A")
        if a is not None and a.status == "cname":
            found.append(
                DnsFinding(
                    "problem",
                    f"MX host {host} is a CNAME (to {a.cname}); RFC 2181 forbids it and some senders will not deliver",
                )
            )
        elif a is not None and a.answered and not seen.addresses(host):
            found.append(DnsFinding("problem", f"MX host {host} has no A or AAAA record"))
    if policy is None:
        return found
    for host in seen.mx_hosts:
        if not policy.covers(host):
            found.append(
                DnsFinding(
                    "problem" if policy.mode == "enforce" else "warning",
                    f"MX host {host} is not listed in the MTA-STS policy (mode {policy.mode})",
                )
            )
    return found


def _spf(seen: Observation, sending_ips: list[str]) -> list[DnsFinding]:
    """SPF allows every sending address (the MX hosts' when none is configured)."""
    txt = seen.rrset(seen.domain, "TXT")
    spf = find_spf(txt.values) if txt else None
    if spf is None:
        return [DnsFinding("warning", f"{seen.domain} publishes no SPF record")]
    found = []
    mx_addresses = {ip for h in seen.mx_hosts for ip in seen.addresses(h)}
    apex = set(seen.addresses(seen.domain))
    for ip in sending_ips or sorted(mx_addresses):
        verdict = allows(spf, ip, mx_addresses=mx_addresses, apex_addresses=apex)
        if verdict is False:
            found.append(DnsFinding("problem", f"SPF does not allow the sending address {ip}"))
        elif verdict is None:
            found.append(DnsFinding("note", f"SPF for {ip} depends on include/redirect; not followed"))
    return found


def _dkim(seen: Observation, expected_keys: dict[str, str]) -> list[DnsFinding]:
    """Each DKIM selector is published, with the key the configured private key implies."""
    found = []
    for selector in seen.selectors:
        record = seen.rrset(f"{selector}._domainkey.{seen.domain}", "TXT")
        if record is None:
            found.append(DnsFinding("problem", f"DKIM selector {selector!r} is not published"))
            continue
        published = dkim_public_key(" ".join(unquote(v) for v in record.values))
        expected = expected_keys.get(selector)
        if expected is not None and published != expected:
            found.append(
                DnsFinding(
                    "problem",
                    f"DKIM selector {selector!r} publishes a key that does not match the configured private key",
                )
            )
    return found


def dkim_public_key(record: str) -> str | None:
    """The ``p=`` of a DKIM key record, whitespace removed.

    >>> dkim_public_key("v=DKIM1; k=rsa; p=MIIB IjAN")
    'MIIBIjAN'
    """
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip() == "p":
            return "".join(value.split())
    return None
