"""`mailvault dns gate` and `dns verify`: asking the authoritative servers and the resolver panel
whether the world sees what the plan needs, and who still holds what, until when."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mailvault.actions.dns_context import DnsContext
from mailvault.actions.dns_inspect import policy_address
from mailvault.dns.mtasts import fetch_policy, parse_policy
from mailvault.dns.query import Answer, Server, ask
from mailvault.dns.records import Change, RRset


@dataclass(frozen=True)
class Check:
    who: str
    what: str
    ok: bool
    detail: str
    fatal: bool = True  # a failed non-fatal check is reported but does not close the gate
    until: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "who": self.who,
            "what": self.what,
            "ok": self.ok,
            "fatal": self.fatal,
            "detail": self.detail,
            "until": self.until.isoformat(timespec="seconds") if self.until else None,
        }


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.ok or not c.fatal for c in self.checks)

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.fatal]

    @property
    def open_until(self) -> datetime | None:
        """When every blocking check that is only waiting on a cache should have cleared."""
        waits = [c.until for c in self.blocking]
        return max(w for w in waits if w) if waits and all(waits) else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
            "open_until": self.open_until.isoformat(timespec="seconds") if self.open_until else None,
        }


def _silent(who: Server, what: str, answer: Answer, *, fatal: bool) -> Check:
    return Check(str(who), what, False, f"no answer ({answer.detail or answer.status})", fatal=fatal)


def _label(name: str, rtype: str) -> str:
    return f"{rtype} {name}"


def _served(
    who: Server,
    want: RRset | None,
    key: tuple[str, str],
    timeout: float,
    *,
    ttl: bool = True,
    switched: RRset | None = None,
) -> Check:
    """Does authoritative ``who`` serve exactly ``want`` (data, and TTL unless ``ttl`` is False; None:
    nothing)? Serving ``switched`` instead (the cutover's result) also passes: the cutover is done."""
    answer = ask(who, key[0], key[1], timeout=timeout)
    what = _label(*key)
    if not answer.answered:
        return _silent(who, what, answer, fatal=True)
    got = answer.rrset
    if switched is not None and switched.same_data(got):
        return Check(str(who), what, True, "already switched (the cutover is done)")
    if want is None:
        return Check(str(who), what, got is None, "absent" if got is None else f"still serves {', '.join(got.values)}")
    if got is None:
        return Check(str(who), what, False, "not served yet")
    if not want.same_data(got):
        return Check(str(who), what, False, f"serves {', '.join(got.values)}, not {', '.join(want.values)}")
    if ttl and got.ttl != want.ttl:
        return Check(str(who), what, False, f"serves TTL {got.ttl}, not {want.ttl}")
    return Check(str(who), what, True, f"TTL {got.ttl}")


def _authoritative(
    ctx: DnsContext,
    zone: str,
    wanted: list[tuple[tuple[str, str], RRset | None]],
    serial: int | None,
    switched: dict[tuple[str, str], RRset | None],
) -> list[Check]:
    checks: list[Check] = []
    timeout = ctx.settings.timeout
    for server in ctx.authoritative():
        for key, want in wanted:
            checks.append(_served(server, want, key, timeout, switched=switched.get(key)))
        if serial is not None:
            soa = ask(server, zone, "SOA", timeout=timeout)
            got = int(soa.rrset.values[0].split()[2]) if soa.rrset else None
            if got is not None and got < serial:
                checks.append(Check(str(server), "SOA serial", False, f"serves serial {got}, behind {serial}"))
    return checks


def gate(ctx: DnsContext, plan: dict[str, Any], *, now: datetime | None = None) -> Verdict:
    """May the cutover go ahead? Every authoritative server serves the prepared records (lowered TTLs,
    new names, widened SPF); every resolver's remaining TTL for the records about to change is at most
    the low TTL; new names resolve everywhere; the MTA-STS policy lists the new MX."""
    now = now or datetime.now(UTC)
    low = int(plan["low_ttl"])
    prepared = [Change.from_dict(c) for c in plan["prepare"]]
    cutover = [Change.from_dict(c) for c in plan["cutover"]]
    wanted: dict[tuple[str, str], RRset | None] = {c.key: c.after for c in prepared}
    for c in cutover:
        wanted.setdefault(c.key, c.before)
    switched = {c.key: c.after for c in cutover}
    verdict = Verdict(
        _authoritative(ctx, plan["zone"], list(wanted.items()), plan.get("serial_after_prepare"), switched)
    )
    timeout = ctx.settings.timeout
    watched = [tuple(k) for k in plan["watched"]]
    for resolver in ctx.resolvers():
        for name, rtype in watched:
            answer = ask(resolver, name, rtype, timeout=timeout, recursive=True)
            what = _label(name, rtype)
            if not answer.answered:
                verdict.checks.append(_silent(resolver, what, answer, fatal=False))
            elif answer.rrset is not None and answer.rrset.ttl > low:
                until = now + timedelta(seconds=answer.rrset.ttl)
                verdict.checks.append(
                    Check(
                        str(resolver),
                        what,
                        False,
                        f"holds it for {answer.rrset.ttl} s more (TTL above {low})",
                        until=until,
                    )
                )
            else:
                left = answer.rrset.ttl if answer.rrset else 0
                verdict.checks.append(Check(str(resolver), what, True, f"{left} s left"))
        for name in [plan["new_mx"]] if plan["mode"] == "new-host" else []:
            verdict.checks.append(_resolves(resolver, name, now, timeout))
    verdict.checks += _mta_sts(ctx, plan)
    return verdict


def _resolves(resolver: Server, name: str, now: datetime, timeout: float) -> Check:
    what = f"address of {name}"
    answers = [ask(resolver, name, t, timeout=timeout, recursive=True) for t in ("A", "AAAA")]
    if any(a.rrset is not None for a in answers):
        return Check(str(resolver), what, True, "resolves")
    if not any(a.answered for a in answers):
        return _silent(resolver, what, answers[0], fatal=False)
    negative = max((a.negative_ttl or 0) for a in answers)
    return Check(
        str(resolver),
        what,
        False,
        f"has no address for it (caches that for {negative} s more)",
        until=now + timedelta(seconds=negative),
    )


def _mta_sts(ctx: DnsContext, plan: dict[str, Any]) -> list[Check]:
    sts = plan.get("mta_sts")
    if not sts or sts["covers_new_mx"]:
        return []
    where = f"mta-sts.{plan['domain'].rstrip('.')}"
    try:
        policy = parse_policy(
            fetch_policy(
                plan["domain"],
                ca_file=ctx.settings.mta_sts_ca_file,
                timeout=ctx.settings.timeout,
                address=policy_address(ctx, plan["domain"]),
            )
        )
    except (OSError, ValueError) as exc:
        return [Check(where, "MTA-STS policy", False, f"cannot be fetched: {exc}", fatal=sts["mode"] == "enforce")]
    if policy.covers(plan["new_mx"]):
        return [
            Check(
                where,
                "MTA-STS policy",
                True,
                f"lists {plan['new_mx']} (senders may hold the old policy for "
                f"up to {policy.max_age} s after it changed)",
            )
        ]
    return [Check(where, "MTA-STS policy", False, f"does not list {plan['new_mx']}", fatal=policy.mode == "enforce")]


def propagation(ctx: DnsContext, changes: list[Change], *, now: datetime | None = None) -> Verdict:
    """Does every authoritative server and every resolver in the panel see the ``after`` side?"""
    now = now or datetime.now(UTC)
    timeout = ctx.settings.timeout
    verdict = Verdict()
    for server in ctx.authoritative():
        verdict.checks += [_served(server, c.after, c.key, timeout, ttl=False) for c in changes]
    for resolver in ctx.resolvers():
        for change in changes:
            answer = ask(resolver, *change.key, timeout=timeout, recursive=True)
            what = _label(*change.key)
            if not answer.answered:
                verdict.checks.append(_silent(resolver, what, answer, fatal=False))
                continue
            sees_new = (answer.rrset is None) if change.after is None else change.after.same_data(answer.rrset)
            if sees_new:
                verdict.checks.append(Check(str(resolver), what, True, "sees the new records"))
                continue
            left = answer.rrset.ttl if answer.rrset else (answer.negative_ttl or 0)
            verdict.checks.append(
                Check(
                    str(resolver),
                    what,
                    False,
                    f"still sees the old records for up to {left} s",
                    until=now + timedelta(seconds=left),
                )
            )
    return verdict


def wait_for(
    probe: Callable[[], Verdict],
    *,
    timeout_s: float,
    every_s: float,
    on_round: Callable[[Verdict], None] | None = None,
) -> Verdict:
    """Run ``probe`` until it passes or ``timeout_s`` has gone by (one last probe at the deadline);
    return the last verdict."""
    deadline = time.monotonic() + timeout_s
    while True:
        verdict = probe()
        left = deadline - time.monotonic()
        if verdict.passed or left <= 0:
            return verdict
        if on_round is not None:
            on_round(verdict)
        time.sleep(min(every_s, left))
