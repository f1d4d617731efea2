"""`mailvault migrate cutover` and the DNS half of `mailvault migrate rollback`: the mail copy and the
MX switch as one procedure.

Cutover: a final sync (so the new server holds everything the old one has) -> `dns cutover` (refused
until the gate passes) -> `dns verify --wait` (until resolvers see the new MX or the low TTL plus
margin has passed) -> sync again (mail that reached the old MX while resolvers caught up).

Rollback: `dns rollback` (the MX back to the old server) -> wait until the panel sees the old MX ->
copy what arrived on the new server back to the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mailvault.actions.dns_context import DnsContext
from mailvault.actions.dns_gate import Verdict, propagation, wait_for
from mailvault.actions.dns_steps import RollbackResult, StepResult, cutover, rollback
from mailvault.dns.records import Change
from mailvault.errors import MailvaultError
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import AccountResult, Progress
from mailvault.migrate.engines import mapper
from mailvault.migrate.rollback import rollback_account
from mailvault.migrate.state import MigrationState
from mailvault.migrate.sync import SyncResult, sync_account

logger = logging.getLogger(__name__)


class CutoverStopped(MailvaultError):
    """A step of `migrate cutover` failed; the message says which and what was (not) done."""


@dataclass
class CutoverResult:
    first_sync: list[SyncResult] = field(default_factory=list)
    dns: StepResult | None = None
    propagation: Verdict | None = None
    second_sync: list[SyncResult] = field(default_factory=list)
    at: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.propagation is not None
            and self.propagation.passed
            and not any(r.error for r in [*self.first_sync, *self.second_sync])
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cutover_at": self.at,
            "first_sync": [r.as_dict() for r in self.first_sync],
            "dns": self.dns.as_dict() if self.dns else None,
            "propagation": self.propagation.as_dict() if self.propagation else None,
            "second_sync": [r.as_dict() for r in self.second_sync],
        }


def _sync_all(spec: AccountsFile, state: MigrationState, engines: dict[str, str]) -> list[SyncResult]:
    """Every account synced, its folders placed the way the engine that moved it placed them."""

    def one(a: Account) -> SyncResult:
        return sync_account(spec, a, state, None, mapper(engines.get(a.source_user, "imap"), spec.options.preset))

    with ThreadPoolExecutor(spec.options.parallel_accounts) as pool:
        return list(pool.map(one, spec.accounts))


def _settle_s(ctx: DnsContext, plan: dict[str, Any]) -> float:
    return float(plan["low_ttl"]) + ctx.settings.margin.total_seconds()


def migrate_cutover(
    spec: AccountsFile,
    state: MigrationState,
    ctx: DnsContext,
    *,
    engines: dict[str, str],
    force: bool = False,
    say: Callable[[str], None] = logger.info,
) -> CutoverResult:
    """Sync, switch the MX, wait for the world to see it, sync again. Raise CutoverStopped (or the DNS
    step's own error) when the MX must not or could not be switched; nothing after that step runs."""
    plan = ctx.load_plan()
    result = CutoverResult()
    say("migrate cutover: final sync before the switch")
    result.first_sync = _sync_all(spec, state, engines)
    broken = [r for r in result.first_sync if r.error]
    if broken:
        raise CutoverStopped(
            f"the final sync failed for {broken[0].source_user}: {broken[0].error}; the MX was not switched",
            hint="fix that and run `mailvault migrate cutover` again",
        )
    say(f"migrate cutover: switching the MX of {ctx.domain.rstrip('.')} to {plan['new_mx'].rstrip('.')}")
    result.dns = cutover(ctx, force=force)
    result.at = datetime.now(UTC).isoformat(timespec="seconds")
    changes = [Change.from_dict(c) for c in plan["cutover"]]
    say("migrate cutover: waiting until the resolver panel sees the new MX")
    result.propagation = wait_for(lambda: propagation(ctx, changes), timeout_s=_settle_s(ctx, plan), every_s=2)
    say("migrate cutover: sync again (mail that reached the old MX meanwhile)")
    result.second_sync = _sync_all(spec, state, engines)
    return result


@dataclass
class RollbackAllResult:
    dns: RollbackResult | None
    propagation: Verdict | None
    mail: list[AccountResult]

    @property
    def ok(self) -> bool:
        mail_ok = not any(r.error or any(f.rejected for f in r.folders) for r in self.mail)
        return mail_ok and (self.propagation is None or self.propagation.passed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dns": self.dns.as_dict() if self.dns else None,
            "propagation": self.propagation.as_dict() if self.propagation else None,
            "accounts": [r.as_dict() for r in self.mail],
        }


def migrate_rollback(
    spec: AccountsFile,
    state: MigrationState,
    ctx: DnsContext | None,
    *,
    engines: dict[str, str],
    plan_only: bool = False,
    force: bool = False,
    filters: Any = None,
    progress: Progress | None = None,
    say: Callable[[str], None] = logger.info,
) -> RollbackAllResult:
    """The DNS half first (so new mail goes to the old server again), then the mail copied back."""
    dns_result: RollbackResult | None = None
    settled: Verdict | None = None
    if ctx is not None:
        plan = ctx.load_plan()
        say(f"migrate rollback: the MX of {ctx.domain.rstrip('.')} back to the old server (journal inverse)")
        dns_result = rollback(ctx, force=force, dry_run=plan_only)
        if not plan_only:
            back = [Change.from_dict(c).inverse for c in plan["cutover"]]
            say("migrate rollback: waiting until the resolver panel sees the old MX")
            settled = wait_for(lambda: propagation(ctx, back), timeout_s=_settle_s(ctx, plan), every_s=2)
    say("migrate rollback: copying what arrived on the new server back to the old one")
    mail = [
        rollback_account(spec, a, state, filters=filters, plan_only=plan_only, progress=progress) for a in spec.accounts
    ]
    return RollbackAllResult(dns_result, settled, mail)
