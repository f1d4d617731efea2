"""`mailvault dns plan`: the cutover timeline and the exact changes of each step, from what is served.
Saved in the state dir; the later steps follow it."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from mailvault.actions.dns_context import DnsContext
from mailvault.actions.dns_inspect import InspectResult, inspect
from mailvault.dns.changes import CutoverChanges, PlanError, ZoneFacts, compute_changes
from mailvault.dns.records import absolute
from mailvault.dns.timeline import Infeasible, MtaStsView, Timeline, TimelineInput, compute
from mailvault.errors import DnsError


def parse_at(text: str, now: datetime) -> datetime:
    """``--at``: an ISO 8601 time (local time when no offset is given) or ``+DURATION`` from now."""
    from mailvault.config.durations import parse_duration

    try:
        if text.startswith("+"):
            return now + parse_duration(text[1:])
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DnsError(
            f"--at {text!r} is not a time", hint="write 2026-12-01T22:00, 2026-12-01T22:00+01:00 or +3h"
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.astimezone().astimezone(UTC)


def facts_of(result: InspectResult) -> ZoneFacts:
    seen = result.observation
    rrsets = {}
    for view in seen.views[:1]:
        for key, answer in view.answers.items():
            if answer.rrset is not None:
                rrsets[key] = answer.rrset
    return ZoneFacts(seen.domain, seen.zone, rrsets)


def make_plan(
    ctx: DnsContext,
    *,
    new_mx: str,
    new_ips: list[str],
    low_ttl: int | None = None,
    at: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Observe, compute, save and return the plan; raise DnsError when it cannot be made."""
    now = now or datetime.now(UTC)
    _require_addresses(new_ips)
    low = low_ttl or ctx.settings.low_ttl
    host = absolute(new_mx)
    result = inspect(ctx, extra_hosts=(host,))
    facts = facts_of(result)
    try:
        changes = compute_changes(facts, new_mx=host, new_ips=new_ips, low_ttl=low)
    except PlanError as exc:
        raise DnsError(f"cannot plan the cutover of {ctx.domain.rstrip('.')}: {exc}") from None
    cname = result.observation.answer(host, "A")
    if cname is not None and cname.status == "cname":
        raise DnsError(
            f"the new MX {host} is a CNAME (to {cname.cname}); an MX must name a host with A/AAAA records",
            hint="give the canonical host name as --new-mx",
        ) from None
    sts_view = _mta_sts_view(result, host)
    timeline = _timeline(ctx, result, facts, changes, sts_view, low=low, at=at, now=now)
    warnings = [*changes.warnings, *timeline.warnings]
    if result.mta_sts is not None and result.mta_sts.error:
        warnings.append(
            f"the MTA-STS policy could not be fetched ({result.mta_sts.error}): check by hand that it will list"
            " the new MX"
        )
    plan = _plan_dict(ctx, result, changes, timeline, sts_view, warnings, host=host, new_ips=new_ips, low=low, now=now)
    ctx.save_plan(plan)
    return plan


def _plan_dict(
    ctx: DnsContext, result: InspectResult, changes: CutoverChanges, timeline: Timeline,
    sts_view: MtaStsView | None, warnings: list[str], *, host: str, new_ips: list[str], low: int, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The plan as saved in the state dir, which the later steps follow."""
    serials = {v.serial for v in result.observation.views if v.serial is not None}
    plan = {
        "domain": ctx.domain,
        "zone": result.observation.zone,
        "created": now.isoformat(),
        "backend": ctx.settings.backend,
        "new_mx": host,
        "new_ips": new_ips,
        "low_ttl": low,
        "mode": changes.mode,
        "serial_at_plan": max(serials) if serials else None,
        "prepare": [c.as_dict() for c in changes.prepare],
        "cutover": [c.as_dict() for c in changes.cutover],
        "raise_ttl": [c.as_dict() for c in changes.raise_ttl],
        "new_names": changes.new_names,
        "watched": [list(k) for k in changes.watched],
        "old_senders": changes.old_senders,
        "mta_sts": None
        if sts_view is None
        else {"mode": sts_view.mode, "max_age": sts_view.max_age, "covers_new_mx": sts_view.covers_new_mx},
        "timeline": timeline.as_dict(),
        "warnings": warnings,
        "problems": [f.text for f in result.problems],
    }
    return plan


def _require_addresses(new_ips: list[str]) -> None:
    for ip in new_ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise DnsError(f"--new-ip {ip!r} is not an IP address", hint="give an IPv4 or IPv6 address") from None


def _mta_sts_view(result: InspectResult, host: str) -> MtaStsView | None:
    sts = result.mta_sts
    if sts is None or sts.policy is None:
        return None
    return MtaStsView(sts.policy.mode, sts.policy.max_age, sts.policy.mx, sts.policy.covers(host))


def _timeline(
    ctx: DnsContext, result: InspectResult, facts: ZoneFacts, changes: CutoverChanges, sts_view: MtaStsView | None,
    *, low: int, at: str | None, now: datetime,
) -> Timeline:  # fmt: skip
    """The cutover's waits from what is served; DnsError naming the earliest cutover when --at is too soon."""
    watched_ttl = max((r.ttl for k in changes.watched if (r := facts.get(*k)) is not None), default=0)
    given = TimelineInput(
        now=now,
        low_ttl=low,
        margin=ctx.settings.margin,
        changed_ttl=watched_ttl,
        negative_ttl=result.observation.negative_ttl,
        new_names=tuple(changes.new_names),
        spf_ttl=changes.spf_ttl,
        mta_sts=sts_view,
        cutover_at=parse_at(at, now) if at else None,
        raise_after=ctx.settings.raise_after,
    )
    try:
        return compute(given)
    except Infeasible as exc:
        raise DnsError(str(exc), hint=f"plan again with --at {exc.earliest.isoformat()} or later") from None
