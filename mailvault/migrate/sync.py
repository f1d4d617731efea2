"""`mailvault migrate sync`: the overlap's catch-up, source to destination.

Per folder one STATUS (UIDVALIDITY, UIDNEXT, MESSAGES, and HIGHESTMODSEQ where the server has
CONDSTORE) is compared with what the last sync saw; an unchanged folder costs nothing more. A changed
one gets its new messages copied (as `run` does: recorded after the OK, matched by identity first)
and its flag and keyword changes carried to the copies (only messages changed since the last modseq
with CONDSTORE; all of them otherwise). Messages deleted on the source stay on the destination.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from mailvault.errors import MailvaultError
from mailvault.imap.client import ImapSession
from mailvault.imap.folders import Mapping, map_folders
from mailvault.imap.session import describe, subscribed
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.caps import DailyTally, pace
from mailvault.migrate.copy import (
    Filters,
    FolderResult,
    Mapper,
    Throttle,
    copy_folder,
    destination_tally,
    ensure_folder,
    session_pair,
)
from mailvault.migrate.fetched import flags_of
from mailvault.migrate.state import MigrationState


@dataclass
class SyncFolder:
    source: str
    destination: str
    unchanged: bool = False
    copied: int = 0
    flags_updated: int = 0


@dataclass
class SyncResult:
    source_user: str
    destination_user: str
    folders: list[SyncFolder] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "copied": sum(f.copied for f in self.folders),
                "flags_updated": sum(f.flags_updated for f in self.folders),
                "unchanged_folders": sum(f.unchanged for f in self.folders)}  # fmt: skip


def sync_account(
    accounts: AccountsFile,
    account: Account,
    state: MigrationState,
    filters: Filters | None = None,
    mapper: Mapper | None = None,
) -> SyncResult:
    """Catch one account up; ``mapper``: how the engine that moved it placed its folders (default by
    role). After the doveadm engine the state holds no copies yet: the first sync finds every message
    on the destination by identity and records it, copying nothing twice."""
    filters = filters or Filters()
    result = SyncResult(account.source_user, account.destination_user)
    began = time.monotonic()
    user = account.source_user
    tally = destination_tally(accounts, account, state)  # the destination provider's caps hold here too
    try:
        with session_pair(accounts, account) as (src, dst):
            sides = describe(src), describe(dst)
            plan = mapper(*sides) if mapper else map_folders(*sides, preset=accounts.options.preset)
            subs = subscribed(src)
            condstore = src.capable("CONDSTORE")
            for m in plan.mappings:
                if filters.wants(utf7.decode(m.source)):
                    result.folders.append(_sync_folder(src, dst, m, state, user, condstore, m.source in subs, tally))
    except MailvaultError as exc:
        result.error = exc.one_line()
    result.seconds = round(time.monotonic() - began, 3)
    return result


def _mark(src: ImapSession, folder: str, condstore: bool) -> str:
    items = ["UIDVALIDITY", "UIDNEXT", "MESSAGES", *(["HIGHESTMODSEQ"] if condstore else [])]
    status = src.status(folder, items)
    return ":".join(str(int(status.get(k, 0))) for k in items)


def _sync_folder(
    src: ImapSession, dst: ImapSession, m: Mapping, state: MigrationState, user: str, condstore: bool, subscribe: bool,
    tally: DailyTally,
) -> SyncFolder:  # fmt: skip
    result = SyncFolder(utf7.decode(m.source), utf7.decode(m.destination))
    mark = _mark(src, m.source, condstore)
    last = state.cursor(user, m.source, "source")
    if last == mark:
        result.unchanged = True
        return result
    ensure_folder(dst, m, subscribe=subscribe, user=user)
    copied = FolderResult(result.source, result.destination)
    paced = Throttle(pace(None, tally.caps))
    copy_folder(src, dst, m, state, user, copied, Filters(), False, lambda _m, _b: None, paced, tally)
    result.copied = copied.copied
    if copied.rejected or copied.skipped:
        raise MailvaultError(
            f"{user} {result.source}: {len(copied.rejected) + len(copied.skipped)} message(s) refused by the"
            " destination or over its provider's size limit",
            hint="run `mailvault migrate run` to see each with its reason",
        )
    result.flags_updated = _carry_flags(src, dst, m, state, user, last, condstore)
    state.set_cursor(user, m.source, "source", _mark(src, m.source, condstore))
    return result


def _carry_flags(
    src: ImapSession, dst: ImapSession, m: Mapping, state: MigrationState, user: str, last: str | None, condstore: bool
) -> int:
    uidvalidity = src.select(m.source, readonly=True).uidvalidity
    copies = {uid: c.dest_uid for uid, c in state.copied(user, m.source, uidvalidity).items() if c.dest_uid}
    if not copies:
        return 0
    parts = (last or "").split(":")
    since_modseq = int(parts[4]) if condstore and last and len(parts) == 5 and parts[0] == str(uidvalidity) else None
    if since_modseq is not None:
        changed = [u for u in src.search(["MODSEQ", since_modseq]) if u in copies]
    else:
        changed = sorted(copies)
    if not changed:
        return 0
    source_flags = {uid: tuple(sorted(flags_of(d))) for uid, d in src.fetch(changed, ["FLAGS"]).items()}
    dst.select(m.destination, readonly=False)
    wanted: dict[tuple[bytes, ...], list[int]] = defaultdict(list)
    try:
        fetched = dst.fetch([copies[u] for u in changed], ["FLAGS"])
        dest_flags = {uid: tuple(sorted(flags_of(d))) for uid, d in fetched.items()}
        for uid, flags in source_flags.items():
            dest_uid = copies[uid]
            if dest_uid in dest_flags and dest_flags[dest_uid] != flags:
                wanted[flags].append(dest_uid)
        for flags, dest_uids in wanted.items():
            dst.set_flags(dest_uids, list(flags))
    finally:
        dst.unselect()  # never CLOSE: that would expunge what is flagged \Deleted
    return sum(len(v) for v in wanted.values())
