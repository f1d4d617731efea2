"""`mailvault migrate rollback`: after a cutover that must be undone, what arrived on the new server
goes back to the old one, into the folders it came from, with the same guarantees as `run`.

It is `run` turned around: source and destination swap, folders map by the inverse of the forward
mapping (so "Sent Messages" goes back to "Sent", and a renamed "A_B" back to "A.B"), and the copy
keeps its own records in the state. Every message that came from the old server is still there, so
the identity match finds it and only mail new on the new server is copied back.
"""

from __future__ import annotations

import dataclasses

from mailvault.imap.folders import FolderPlan, Mapping, Side, map_folders
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import AccountResult, Filters, Mapper, Progress, run_account
from mailvault.migrate.state import MigrationState

STATE_PREFIX = "rollback:"


def turned_around(accounts: AccountsFile) -> tuple[AccountsFile, dict[str, Account]]:
    """The accounts file with source and destination swapped; the map from each turned account's
    source user back to the original account."""
    turned: list[Account] = []
    originals: dict[str, Account] = {}
    for a in accounts.accounts:
        t = a.turned()
        turned.append(t)
        originals[t.source_user] = a
    spec = AccountsFile(
        source=accounts.destination,
        destination=accounts.source,
        accounts=turned,
        options=dataclasses.replace(accounts.options, preset=None),
    )
    return spec, originals


def inverse_mapper(preset: str | None, *, by_role: bool = True) -> Mapper:
    """Folders back where they came from: the forward mapping inverted (``by_role=False`` after the
    doveadm engine, which placed them by path); folders made on the new side after the cutover map
    by path."""

    def mapper(new: Side, old: Side) -> FolderPlan:
        forward = map_folders(old, new, preset=preset, by_role=by_role)
        back = {m.destination: m.source for m in forward.mappings}
        plan = FolderPlan()
        rest = map_folders(new, old)
        for m in rest.mappings:
            if m.source in back:
                plan.mappings.append(Mapping(m.source, back[m.source], "back where it came from", m.role, True))
            else:
                plan.mappings.append(m)
        plan.skipped = rest.skipped
        return plan

    return mapper


def rollback_account(
    accounts: AccountsFile,
    account: Account,
    state: MigrationState,
    *,
    filters: Filters | None = None,
    plan_only: bool = False,
    progress: Progress | None = None,
    engine: str = "imap",
) -> AccountResult:
    turned, _originals = turned_around(accounts)
    reverse = next(t for t in turned.accounts if t.destination_user == account.source_user)
    return run_account(
        turned, reverse, state, filters=filters, dry_run=plan_only, progress=progress,
        mapper=inverse_mapper(accounts.options.preset, by_role=engine != "doveadm"),
        key=STATE_PREFIX + reverse.source_user,
    )  # fmt: skip
