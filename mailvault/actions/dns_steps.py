"""The steps that change the zone: `dns lower-ttl`, `dns cutover`, `dns raise-ttl` and `dns rollback`.

Each change is journaled (with what it replaces) before it is sent, sent as one atomic update whose
prerequisites are the ``before`` side, and marked applied once the primary confirmed it. Every step
reads the zone first: what is already in place is skipped (a step re-run is a no-op), and a record
that matches neither side stops the step before anything is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mailvault.actions.dns_context import DnsContext
from mailvault.actions.dns_gate import gate
from mailvault.dns.backends.base import instructions
from mailvault.dns.changes import combine, drop_senders
from mailvault.dns.query import ask
from mailvault.dns.records import Change, RRset
from mailvault.errors import DnsConflict, DnsError, DnsUpdateRefused, GateClosed

logger = logging.getLogger(__name__)


@dataclass
class StepResult:
    step: str
    backend: str
    applied: list[Change] = field(default_factory=list)
    already: list[Change] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)  # records a human must enter (manual backend)
    journal_entry: int | None = None
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "backend": self.backend,
            "dry_run": self.dry_run,
            "applied": [c.describe() for c in self.applied],
            "already_in_place": [c.describe() for c in self.already],
            "manual_records": self.manual,
            "journal_entry": self.journal_entry,
            "notes": self.notes,
        }


def current(ctx: DnsContext, key: tuple[str, str]) -> RRset | None:
    """What the primary serves for ``key`` now; raise DnsError when it does not answer."""
    answer = ask(ctx.primary(), key[0], key[1], timeout=ctx.settings.timeout)
    if not answer.answered or answer.status == "cname":
        raise DnsError(
            f"the primary {ctx.primary()} did not answer for {key[1]} {key[0]} "
            f"({answer.detail or answer.status}); nothing was changed",
            hint="check that the primary is up and [dns] server",
        )
    return answer.rrset


def _equal(a: RRset | None, b: RRset | None) -> bool:
    return a == b if a is None or b is None else (a.same_data(b) and a.ttl == b.ttl)


def _pending(ctx: DnsContext, step: str, changes: list[Change]) -> tuple[list[Change], list[Change]]:
    """Split ``changes`` into (still to apply, already in place); raise DnsConflict on a third state."""
    todo, done = [], []
    for change in changes:
        now = current(ctx, change.key)
        if _equal(now, change.after):
            done.append(change)
        elif _equal(now, change.before) or (change.before is not None and change.before.same_data(now)):
            todo.append(Change(now, change.after))
        else:
            seen = "absent" if now is None else f"{now.ttl} [{', '.join(now.values)}]"
            raise DnsConflict(
                f"{step}: {change.key[1]} {change.key[0]} is now {seen}, which the plan did not expect "
                f"({change.describe()}); someone else changed the zone; nothing was changed",
                hint=f"look (mailvault dns inspect {ctx.domain.rstrip('.')}) and plan again",
            )
    return todo, done


def apply_step(ctx: DnsContext, step: str, changes: list[Change], zone: str, *, dry_run: bool) -> StepResult:
    """Journal, then apply ``changes`` in one update (or print them for the manual backend)."""
    backend = ctx.backend()
    todo, done = _pending(ctx, step, changes)
    result = StepResult(step, backend.name, already=done, dry_run=dry_run)
    if not todo:
        result.notes.append("nothing to change: the zone already holds this step's records")
        return result
    if dry_run:
        result.applied, result.manual = todo, instructions(todo)
        logger.info("dns %s (dry run): would change %d record sets", step, len(todo))
        return result
    journal = ctx.journal
    entry = journal.append(step, todo, status="pending" if backend.automatic else "manual")
    result.journal_entry = entry.id
    if not backend.automatic:
        result.manual = instructions(todo)
        result.notes.append(
            "enter these records at your DNS provider; `mailvault dns gate` / `dns verify` confirm them"
        )
        return result
    try:
        backend.apply(zone, todo)
    except (DnsConflict, DnsUpdateRefused) as exc:
        journal.mark(entry.id, "refused", exc.message)
        raise
    journal.mark(entry.id, "applied")
    result.applied = todo
    logger.info("dns %s: applied %d record sets (journal entry %d)", step, len(todo), entry.id)
    return result


def _changes(plan: dict[str, Any], key: str) -> list[Change]:
    return [Change.from_dict(c) for c in plan[key]]


def lower_ttl(ctx: DnsContext, *, dry_run: bool = False, now: datetime | None = None) -> StepResult:
    plan = ctx.load_plan()
    now = now or datetime.now(UTC)
    lower_by = datetime.fromisoformat(plan["timeline"]["lower_by"])
    if now > lower_by and ctx.journal.last("lower-ttl") is None:
        raise DnsError(
            f"the plan's times have passed: TTLs had to be lowered by {lower_by.isoformat()} for the "
            f"cutover at {plan['timeline']['cutover_at']}",
            hint=f"plan again: mailvault dns plan {ctx.domain.rstrip('.')} --new-mx {plan['new_mx']}",
        )
    result = apply_step(ctx, "lower-ttl", _changes(plan, "prepare"), plan["zone"], dry_run=dry_run)
    if result.applied and not dry_run:  # applied: sent by an automatic backend (manual ones only print)
        soa = current(ctx, (plan["zone"], "SOA"))
        if soa is not None:
            plan["serial_after_prepare"] = int(soa.values[0].split()[2])
            ctx.save_plan(plan)
    return result


def cutover(ctx: DnsContext, *, force: bool = False, dry_run: bool = False) -> StepResult:
    plan = ctx.load_plan()
    verdict = gate(ctx, plan)
    if not verdict.passed and not force:
        first = verdict.blocking[0]
        more = f" and {len(verdict.blocking) - 1} more" if len(verdict.blocking) > 1 else ""
        until = f"; it should open by {verdict.open_until.isoformat(timespec='seconds')}" if verdict.open_until else ""
        raise GateClosed(
            f"the gate has not passed: {first.who} {first.what}: {first.detail}{more}{until}; nothing was changed",
            hint="wait and run `mailvault dns gate`, or --force",
        )
    result = apply_step(ctx, "cutover", _changes(plan, "cutover"), plan["zone"], dry_run=dry_run)
    if not verdict.passed:
        result.notes.append(f"forced past a closed gate ({len(verdict.blocking)} checks failing)")
    return result


def raise_ttl(ctx: DnsContext, *, drop_old_senders: bool = False, dry_run: bool = False) -> StepResult:
    plan = ctx.load_plan()
    changes = _changes(plan, "raise_ttl")
    if drop_old_senders and plan["old_senders"]:
        txt = current(ctx, (plan["domain"], "TXT"))
        drop = drop_senders(txt, plan["old_senders"]) if txt is not None else None
        changes = combine(changes, [drop] if drop else [])
    return apply_step(ctx, "raise-ttl", changes, plan["zone"], dry_run=dry_run)


@dataclass
class RollbackResult:
    backend: str
    undone: list[tuple[int, str, list[Change]]] = field(default_factory=list)  # (entry, step, inverse changes)
    nothing_to_undo: list[int] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "dry_run": self.dry_run,
            "undone": [{"entry": e, "step": s, "changes": [c.describe() for c in cs]} for e, s, cs in self.undone],
            "not_applied": self.nothing_to_undo,
            "manual_records": self.manual,
        }


def rollback(ctx: DnsContext, *, force: bool = False, dry_run: bool = False) -> RollbackResult:
    """Replay the journal's inverse, newest entry first. Each entry's records are read first: those at
    the entry's ``after`` go back to its ``before``; those already at ``before`` (never applied, or
    undone) are left; any other state is somebody else's edit and stops the rollback unless ``force``."""
    backend = ctx.backend()
    journal = ctx.journal
    result = RollbackResult(backend.name, dry_run=dry_run)
    zone = ctx.load_plan()["zone"]
    undone: dict[tuple[str, str], RRset | None] = {}  # a dry run's view of the zone as it would become
    for entry in reversed([e for e in journal.entries() if e.live]):
        inverse: list[Change] = []
        for change in entry.changes:
            now = undone[change.key] if change.key in undone else current(ctx, change.key)
            if _equal(now, change.before):
                continue
            if not _equal(now, change.after) and not force:
                seen = "absent" if now is None else f"{now.ttl} [{', '.join(now.values)}]"
                raise DnsConflict(
                    f"rollback: {change.key[1]} {change.key[0]} is now {seen}, neither what "
                    f"{entry.step} (journal entry {entry.id}) set nor what it replaced; someone "
                    "else changed it; entries after it were rolled back, this one was not",
                    hint="look at the zone; --force puts the journal's old records back regardless",
                )
            inverse.append(Change(now, change.before))
        if not inverse:
            result.nothing_to_undo.append(entry.id)
            if not dry_run:
                journal.mark(entry.id, "rolled-back", "nothing to undo: the zone held the old records")
            continue
        result.undone.append((entry.id, entry.step, inverse))
        if dry_run:
            undone.update((c.key, c.after) for c in inverse)
            continue
        if not backend.automatic:
            result.manual += instructions(inverse)
            journal.mark(entry.id, "rolled-back", "printed for manual entry")
            continue
        backend.apply(zone, inverse)
        journal.mark(entry.id, "rolled-back")
        logger.info("dns rollback: journal entry %d (%s) undone", entry.id, entry.step)
    return result
