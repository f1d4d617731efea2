"""`mailvault migrate run`: copy every account (side by side, each by its engine), then verify those
not paused at their provider's daily cap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import AccountResult, Filters, Progress, run_account
from mailvault.migrate.dsync_engine import run_account_dsync
from mailvault.migrate.engines import mapper
from mailvault.migrate.state import MigrationState
from mailvault.migrate.verify import AccountCheck, verify_account


@dataclass(frozen=True)
class Moved:
    results: list[AccountResult]
    checks: list[AccountCheck]

    @property
    def ok(self) -> bool:
        """Every account complete (nothing refused, skipped, paused or failed) and verified."""
        incomplete = any(
            r.error or r.paused or any(f.rejected or f.skipped or f.error for f in r.folders) for r in self.results
        )
        return not incomplete and all(c.ok for c in self.checks)


def move_accounts(
    spec: AccountsFile, state: MigrationState, engines: dict[str, str], filters: Filters, progress: Progress, *,
    dry_run: bool, verify: bool,
) -> Moved:  # fmt: skip
    """Copy each account (``spec.options.parallel_accounts`` at once), then verify each one that was
    not stopped before its provider's daily cap (known to be incomplete)."""

    def move(a: Account) -> AccountResult:
        if engines[a.source_user] == "doveadm":
            return run_account_dsync(spec, a, state, filters=filters, dry_run=dry_run, progress=progress)
        if not dry_run:
            state.set_engine(a.source_user, "imap")  # later runs, syncs and rollbacks place folders alike
        return run_account(spec, a, state, filters=filters, dry_run=dry_run, progress=progress)

    with ThreadPoolExecutor(spec.options.parallel_accounts) as pool:
        results = list(pool.map(move, spec.accounts))
    checks = [] if (not verify or dry_run) else [
        verify_account(spec, a, filters, mapper(engines[a.source_user], spec.options.preset))
        for a, r in zip(spec.accounts, results, strict=True) if not r.paused
    ]  # fmt: skip
    return Moved(results, checks)
