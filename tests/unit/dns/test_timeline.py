"""The cutover timeline over many TTL / negative-TTL / SPF / MTA-STS combinations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailvault.dns.timeline import Infeasible, MtaStsView, TimelineInput, compute

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MARGIN = timedelta(minutes=10)


def given(**kw: object) -> TimelineInput:
    base: dict[str, object] = {"now": NOW, "low_ttl": 300, "margin": MARGIN, "changed_ttl": 3600, "negative_ttl": 300}
    base.update(kw)
    return TimelineInput(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changed_ttl", "negative_ttl", "new_names", "spf_ttl", "wait"),
    [
        (3600, 300, (), None, 3600),  # the MX's TTL rules
        (86400, 300, (), None, 86400),  # a day-long TTL: lower a day ahead
        (300, 3600, ("mx.new.example.org.",), None, 3600),  # a new name cached as absent for an hour
        (300, 3600, (), None, 300),  # ... but only when there is a new name to publish
        (600, 60, (), 7200, 7200),  # SPF's TTL when a sender is added
        (60, 86400, ("mx.new.example.org.",), 3600, 86400),  # the largest of the three wins
        (300, 300, (), None, 300),  # already low
    ],
)
def test_lowering_comes_the_longest_cache_plus_margin_before_the_cutover(
    changed_ttl: int, negative_ttl: int, new_names: tuple[str, ...], spf_ttl: int | None, wait: int
) -> None:
    t = compute(given(changed_ttl=changed_ttl, negative_ttl=negative_ttl, new_names=new_names, spf_ttl=spf_ttl))
    assert t.cutover_at - t.lower_by == timedelta(seconds=wait) + MARGIN
    assert t.lower_by >= NOW + MARGIN - timedelta(seconds=1), "no time left to carry out the lowering"
    assert t.cutover_at.second == 0 and t.cutover_at.microsecond == 0
    assert t.cutover_at - NOW < timedelta(seconds=wait) + 2 * MARGIN + timedelta(minutes=1)
    gate = t.step("gate")
    assert gate.not_before == t.lower_by + timedelta(seconds=wait) and gate.not_after == t.cutover_at


def test_an_explicit_cutover_time_is_kept_and_checked() -> None:
    at = NOW + timedelta(hours=5)
    t = compute(given(cutover_at=at))
    assert t.cutover_at == at and t.lower_by == at - timedelta(seconds=3600) - MARGIN
    with pytest.raises(Infeasible) as too_soon:
        compute(given(cutover_at=NOW + timedelta(minutes=30)))
    assert too_soon.value.earliest == NOW + timedelta(seconds=3600) + 2 * MARGIN
    assert "TTL 3600 s" in str(too_soon.value)


@pytest.mark.parametrize(
    ("mode", "covers", "wait_for_sts", "has_widen_step"),
    [
        ("enforce", False, True, True),  # senders would refuse the new MX until max_age runs out
        ("enforce", True, False, False),  # already lists it: nothing to wait for
        ("testing", False, False, False),  # reports only: a warning, no wait
        ("none", False, False, False),
    ],
)
def test_mta_sts_enforce_adds_the_policy_wait(
    mode: str, covers: bool, wait_for_sts: bool, has_widen_step: bool
) -> None:
    sts = MtaStsView(mode, 604800, ("mx.old.example.net",), covers)
    t = compute(given(mta_sts=sts))
    names = [s.name for s in t.steps]
    assert ("widen-mta-sts" in names) == has_widen_step
    if wait_for_sts:
        assert t.cutover_at - NOW >= timedelta(days=7) + 2 * MARGIN
        widen = t.step("widen-mta-sts")
        assert widen.manual and widen.not_after == t.cutover_at - timedelta(days=7) - MARGIN
    else:
        assert t.cutover_at - NOW < timedelta(hours=2)
    assert ("narrow-mta-sts" in names) == (mode != "none")
    if mode == "testing" and not covers:
        assert any("does not list the new MX" in w for w in t.warnings)


def test_a_short_max_age_smaller_than_the_ttl_does_not_stretch_the_plan() -> None:
    t = compute(given(mta_sts=MtaStsView("enforce", 600, (), False)))
    assert t.cutover_at - t.lower_by == timedelta(seconds=3600) + MARGIN
    assert t.step("widen-mta-sts").not_after == t.cutover_at - timedelta(seconds=600) - MARGIN


def test_after_the_cutover() -> None:
    t = compute(given(raise_after=timedelta(hours=24)))
    settle = t.cutover_at + timedelta(seconds=300) + MARGIN
    assert t.step("verify").not_after == settle
    assert t.step("stop-old-mx").not_before == settle and t.step("stop-old-mx").manual
    assert t.step("raise-ttl").not_before == t.cutover_at + timedelta(hours=24)
    quick = compute(given(raise_after=timedelta(seconds=0)))
    assert quick.step("raise-ttl").not_before == quick.cutover_at + timedelta(seconds=300) + MARGIN


def test_warnings_for_tiny_and_already_low_ttls() -> None:
    t = compute(given(low_ttl=20, changed_ttl=10))
    assert any("below what some resolvers honour" in w for w in t.warnings)
    assert any("already served with TTL 10 s" in w for w in t.warnings)
    with pytest.raises(ValueError, match="positive"):
        compute(given(low_ttl=0))


def test_steps_come_in_order_and_serialise() -> None:
    t = compute(given(new_names=("mx.new.example.org.",), spf_ttl=3600))
    assert [s.name for s in t.steps] == ["lower-ttl", "gate", "cutover", "verify", "stop-old-mx", "raise-ttl"]
    data = t.as_dict()
    assert data["steps"][0]["command"] == "mailvault dns lower-ttl"
    assert datetime.fromisoformat(data["cutover_at"]) == t.cutover_at
    assert "publish mx.new.example.org." in t.step("lower-ttl").why
