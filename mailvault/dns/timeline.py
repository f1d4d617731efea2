"""The cutover timeline: every wait computed from what the authoritative servers serve. Pure.

A resolver that fetched a record just before it changed keeps the old answer for the record's TTL;
one that was told a name does not exist keeps that for the SOA's negative TTL; a sending MTA that
cached the domain's MTA-STS policy keeps it for ``max_age``. So, for a cutover at T:

- the MTA-STS policy must list both MX hosts from T - max_age - margin (enforce mode);
- TTLs must be lowered, new names published and SPF widened from T - max(old TTL, negative TTL,
  SPF TTL) - margin;
- after T, resolvers see the new MX within the low TTL; the old MX may stop accepting mail after
  T + low TTL + margin, and TTLs go back up once rollback is no longer wanted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mailvault.humanize import human_duration


class Infeasible(ValueError):
    """The requested cutover time leaves too little time for the waits; ``earliest`` would work."""

    def __init__(self, message: str, earliest: datetime) -> None:
        super().__init__(message)
        self.earliest = earliest


@dataclass(frozen=True)
class MtaStsView:
    """The domain's MTA-STS policy as fetched (``mode`` "enforce" | "testing" | "none")."""

    mode: str
    max_age: int
    mx_patterns: tuple[str, ...]
    covers_new_mx: bool


@dataclass(frozen=True)
class TimelineInput:
    """What the plan is computed from. TTLs in seconds, as served by the authoritative servers."""

    now: datetime
    low_ttl: int
    margin: timedelta
    changed_ttl: int  # the highest TTL of the RRsets the cutover replaces (MX, or the MX host's A/AAAA)
    negative_ttl: int  # min(SOA TTL, SOA MINIMUM): how long "no such name" is cached
    new_names: tuple[str, ...] = ()  # names to publish that resolvers may have cached as absent
    spf_ttl: int | None = None  # set when the new sender is added to SPF
    mta_sts: MtaStsView | None = None
    cutover_at: datetime | None = None
    raise_after: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Step:
    """One step: run ``command`` between ``not_before`` and ``not_after`` (either may be open)."""

    name: str
    command: str
    not_before: datetime | None
    not_after: datetime | None
    why: str
    manual: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "command": self.command,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "why": self.why,
            "manual": self.manual,
        }


@dataclass
class Timeline:
    cutover_at: datetime
    lower_by: datetime
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutover_at": self.cutover_at.isoformat(),
            "lower_by": self.lower_by.isoformat(),
            "steps": [s.as_dict() for s in self.steps],
            "warnings": self.warnings,
        }


def _s(seconds: int | float) -> timedelta:
    return timedelta(seconds=seconds)


def _ceil_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _prepare_wait(given: TimelineInput) -> tuple[int, str]:
    """The longest cache the prepare step must outwait, and what holds it."""
    waits = [(given.changed_ttl, f"the records being replaced are served with TTL {given.changed_ttl} s")]
    if given.new_names:
        waits.append(
            (
                given.negative_ttl,
                f"resolvers may cache the absence of {', '.join(given.new_names)} "
                f"for the SOA's negative TTL ({given.negative_ttl} s)",
            )
        )
    if given.spf_ttl is not None:
        waits.append((given.spf_ttl, f"the SPF record is served with TTL {given.spf_ttl} s"))
    return max(waits)


def _sts_wait(given: TimelineInput) -> int:
    sts = given.mta_sts
    if sts is None or sts.covers_new_mx or sts.mode != "enforce":
        return 0
    return sts.max_age


def compute(given: TimelineInput) -> Timeline:
    """The timeline for ``given``; raise :class:`Infeasible` when ``cutover_at`` is too soon.

    >>> from datetime import timezone
    >>> t = compute(TimelineInput(now=datetime(2026, 1, 5, 12, tzinfo=timezone.utc), low_ttl=300,
    ...             margin=timedelta(minutes=10), changed_ttl=3600, negative_ttl=300))
    >>> t.cutover_at.isoformat(), t.lower_by.isoformat()
    ('2026-01-05T13:20:00+00:00', '2026-01-05T12:10:00+00:00')
    """
    if given.low_ttl <= 0:
        raise ValueError("the low TTL must be positive")
    prepare_wait, prepare_why = _prepare_wait(given)
    sts_wait = _sts_wait(given)
    cutover = _cutover(given, prepare_wait, prepare_why, sts_wait)
    lower_by = cutover - _s(prepare_wait) - given.margin
    settle = cutover + _s(given.low_ttl) + given.margin
    steps = [
        *_widen_mta_sts(given, cutover, sts_wait),
        *_switch_steps(given, cutover, lower_by, settle, prepare_wait, prepare_why),
        *_after_steps(given, cutover, settle),
    ]
    return Timeline(cutover, lower_by, steps, _warnings(given, sts_wait))


def _cutover(given: TimelineInput, prepare_wait: float, prepare_why: str, sts_wait: float) -> datetime:
    """The cutover asked for, or the earliest safe one; Infeasible when the one asked for is too soon."""
    margin_s = given.margin.total_seconds()
    # A step "from now" still needs a margin to be carried out in; the cutover needs the prepare wait
    # (and the MTA-STS wait) after that, plus the margin again.
    lead = max(prepare_wait + 2 * margin_s, sts_wait + 2 * margin_s if sts_wait else 0)
    earliest = _ceil_minute(given.now + _s(lead))
    cutover = given.cutover_at or earliest
    if cutover < earliest:
        raise Infeasible(
            f"a cutover at {cutover.isoformat()} is too soon: {prepare_why}"
            + (f", and the MTA-STS policy is cached for {human_duration(sts_wait)}" if sts_wait else "")
            + f"; the earliest safe cutover is {earliest.isoformat()}",
            earliest,
        )
    return cutover


def _widen_mta_sts(given: TimelineInput, cutover: datetime, sts_wait: float) -> list[Step]:
    sts = given.mta_sts
    if sts is None or sts.covers_new_mx or not sts_wait:
        return []
    return [
        Step(
            "widen-mta-sts",
            "(manual) publish an MTA-STS policy listing both MX hosts, then change the id in the _mta-sts TXT record",
            None,
            cutover - _s(sts_wait) - given.margin,
            f"senders in enforce mode cache the policy for max_age ({human_duration(sts_wait)}) and would refuse "
            "an MX it does not list",
            manual=True,
        )
    ]


def _warnings(given: TimelineInput, sts_wait: float) -> list[str]:
    warnings = []
    sts = given.mta_sts
    if sts is not None and not sts.covers_new_mx and not sts_wait:
        warnings.append(
            f"the MTA-STS policy (mode {sts.mode}) does not list the new MX: add it before the "
            "cutover so reports stay clean"
        )
    if given.changed_ttl <= given.low_ttl:
        warnings.append(
            f"the records are already served with TTL {given.changed_ttl} s, at or below the "
            f"low TTL {given.low_ttl} s: lower-ttl only publishes what is new"
        )
    if given.low_ttl < 60:
        warnings.append(
            f"a low TTL of {given.low_ttl} s is below what some resolvers honour (they keep "
            "answers for at least 30-60 s)"
        )
    return warnings


def _switch_steps(
    given: TimelineInput, cutover: datetime, lower_by: datetime, settle: datetime, prepare_wait: float, why: str
) -> list[Step]:
    """lower-ttl, gate, cutover and verify."""
    lowered = (
        f"lower TTLs to {given.low_ttl} s"
        + (", publish " + ", ".join(given.new_names) if given.new_names else "")
        + (", add the new sender to SPF" if given.spf_ttl is not None else "")
        + f" at least {human_duration(prepare_wait)} before the cutover: {why}"
    )
    return [
        Step("lower-ttl", "mailvault dns lower-ttl", None, lower_by, lowered),
        Step(
            "gate",
            "mailvault dns gate",
            lower_by + _s(prepare_wait),
            cutover,
            "every authoritative server serves the lowered TTLs and every resolver in the panel has forgotten "
            "the old ones",
        ),
        Step("cutover", "mailvault dns cutover", cutover, None, "switch the MX; refused until the gate passes"),
        Step(
            "verify",
            "mailvault dns verify --wait",
            cutover,
            settle,
            f"resolvers pick up the new MX within the low TTL ({human_duration(given.low_ttl)})",
        ),
    ]


def _after_steps(given: TimelineInput, cutover: datetime, settle: datetime) -> list[Step]:
    """Stopping the old MX, narrowing MTA-STS, raising the TTLs again."""
    steps = [
        Step(
            "stop-old-mx",
            "(manual) stop accepting mail on the old MX; keep `mailvault migrate sync` running until then",
            settle,
            None,
            "no resolver can still hand out the old MX; keep it longer if rollback may be needed",
            manual=True,
        )
    ]
    if given.mta_sts is not None and given.mta_sts.mode != "none":
        steps.append(
            Step(
                "narrow-mta-sts",
                "(manual) publish an MTA-STS policy listing only the new MX, then change the id",
                settle,
                None,
                "the old MX is no longer used",
                manual=True,
            )
        )
    steps.append(
        Step(
            "raise-ttl",
            "mailvault dns raise-ttl",
            max(cutover + given.raise_after, settle),
            None,
            "back to the original TTLs once rollback is no longer wanted (a rollback after this takes the "
            "original TTL to reach everyone)",
        )
    )
    return steps
