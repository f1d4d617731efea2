"""`mailvault dns inspect`: the mail records as the authoritative servers serve them, with their
TTLs, and what is inconsistent about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailvault.actions.dns_context import DnsContext
from mailvault.dns.checks import DnsFinding, check
from mailvault.dns.mtasts import Policy, fetch_policy, parse_policy, txt_id
from mailvault.dns.observe import Observation, observe
from mailvault.dns.spf import unquote
from mailvault.errors import ConfigError


@dataclass
class PolicyView:
    txt_id: str | None
    policy: Policy | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.txt_id,
            "error": self.error,
            "policy": None
            if self.policy is None
            else {"mode": self.policy.mode, "max_age": self.policy.max_age, "mx": list(self.policy.mx)},
        }


@dataclass
class InspectResult:
    observation: Observation
    mta_sts: PolicyView | None
    findings: list[DnsFinding] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row per (name, type) with what the first reachable server serves."""
        rows: list[dict[str, Any]] = []
        keys = dict.fromkeys(k for v in self.observation.views for k in v.answers)
        for name, rtype in keys:
            answer = self.observation.answer(name, rtype)
            if answer is None:
                rows.append({"name": name, "type": rtype, "ttl": None, "values": [], "status": "no answer"})
            elif answer.rrset is not None:
                rows.append(
                    {
                        "name": name,
                        "type": rtype,
                        "ttl": answer.rrset.ttl,
                        "values": list(answer.rrset.values),
                        "status": "ok",
                    }
                )
            elif answer.status in ("nodata", "nxdomain"):
                continue
            else:
                rows.append(
                    {
                        "name": name,
                        "type": rtype,
                        "ttl": None,
                        "values": [answer.cname or answer.detail],
                        "status": answer.status,
                    }
                )
        return rows

    @property
    def problems(self) -> list[DnsFinding]:
        return [f for f in self.findings if f.level == "problem"]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.observation.as_dict(),
            "negative_ttl": self.observation.negative_ttl,
            "records": self.rows(),
            "mta_sts": self.mta_sts.as_dict() if self.mta_sts else None,
            "findings": [{"level": f.level, "text": f.text} for f in self.findings],
            "ok": not self.problems,
        }


def dkim_p(private_key: Path) -> str:
    """The base64 ``p=`` value that goes with a PEM private key (RSA or Ed25519)."""
    from mailvault.dns.dkim import public_p

    try:
        return public_p(private_key.read_bytes())
    except OSError as exc:
        raise ConfigError(f"dns.dkim_private_keys: cannot read {private_key}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(
            f"dns.dkim_private_keys: {private_key} {exc}", hint="point it at the unencrypted PEM key the signer uses"
        ) from None


def policy_address(ctx: DnsContext, domain: str) -> str | None:
    """The first address the zone's own servers publish for ``mta-sts.DOMAIN`` (None: not in the zone)."""
    from mailvault.dns.query import ask

    for server in ctx.authoritative():
        answer = ask(server, f"mta-sts.{domain}", "A", timeout=ctx.settings.timeout)
        if answer.answered:
            return answer.rrset.values[0] if answer.rrset else None
    return None


def mta_sts_view(ctx: DnsContext, seen: Observation) -> PolicyView | None:
    record = seen.rrset(f"_mta-sts.{seen.domain}", "TXT")
    if record is None:
        return None
    ident = next((i for v in record.values if (i := txt_id(unquote(v)))), None)
    try:
        text = fetch_policy(
            seen.domain,
            ca_file=ctx.settings.mta_sts_ca_file,
            timeout=ctx.settings.timeout,
            address=policy_address(ctx, seen.domain),
        )
        return PolicyView(ident, parse_policy(text), None)
    except (OSError, ValueError) as exc:
        return PolicyView(ident, None, str(exc))


def inspect(ctx: DnsContext, *, extra_hosts: tuple[str, ...] = ()) -> InspectResult:
    settings = ctx.settings
    selectors = tuple(dict.fromkeys([*settings.dkim_selectors, *settings.dkim_private_keys]))
    seen = observe(
        ctx.domain, ctx.authoritative(), selectors=selectors, extra_hosts=extra_hosts, timeout=settings.timeout
    )
    sts = mta_sts_view(ctx, seen)
    expected = {s: dkim_p(p) for s, p in settings.dkim_private_keys.items()}
    findings = check(
        seen, policy=sts.policy if sts else None, sending_ips=list(settings.sending_ips), dkim_expected=expected
    )
    if sts is not None and sts.error:
        findings.append(DnsFinding("warning", f"the MTA-STS policy could not be fetched: {sts.error}"))
    return InspectResult(seen, sts, findings)
