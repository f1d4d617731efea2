"""`mailvault migrate verify`: per folder, both sides' counts, sizes and message identities.

A message on the source that is not on the destination is *missing* (the migration is not done);
one on the destination that is not on the source is *extra* (mail that arrived there, or was there
before): reported, not a failure. Each folder also says whether the destination kept the source's
UIDVALIDITY and every message's UID (the doveadm engine's promise: clients download nothing again).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from mailvault.errors import MailvaultError
from mailvault.imap.client import ImapSession
from mailvault.imap.folders import map_folders
from mailvault.imap.session import describe
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import Filters, Mapper, session_pair
from mailvault.migrate.fetched import light_fetch, side_identities
from mailvault.migrate.identity import Seen, repeated_ids

EXAMPLES = 5


@dataclass
class FolderCheck:
    source: str
    destination: str
    source_messages: int
    destination_messages: int
    source_bytes: int
    destination_bytes: int
    missing: int
    extra: int
    missing_examples: list[str] = field(default_factory=list)
    uidvalidity_kept: bool = False  # the destination folder has the source folder's UIDVALIDITY
    uids_kept: bool = False  # ... and each source message sits under its source UID

    @property
    def ok(self) -> bool:
        return self.missing == 0


@dataclass
class AccountCheck:
    source_user: str
    destination_user: str
    folders: list[FolderCheck] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.ok for f in self.folders)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "missing": sum(f.missing for f in self.folders),
                "extra": sum(f.extra for f in self.folders)}  # fmt: skip


def verify_account(
    accounts: AccountsFile, account: Account, filters: Filters | None = None, mapper: Mapper | None = None
) -> AccountCheck:
    """Check every mapped folder (``mapper``: how the account's engine placed them; default by role)."""
    filters = filters or Filters()
    result = AccountCheck(account.source_user, account.destination_user)
    try:
        with session_pair(accounts, account) as (src, dst):
            sides = describe(src), describe(dst)
            plan = mapper(*sides) if mapper else map_folders(*sides, preset=accounts.options.preset)
            present: set[str] = set()  # identities on the destination, for All Mail (checked last)
            for m in sorted(plan.mappings, key=lambda m: m.dedupe_account):
                if filters.wants(utf7.decode(m.source)):
                    check, ids = _folder(src, dst, m.source, m.destination, present if m.dedupe_account else None)
                    result.folders.append(check)
                    present |= ids
    except MailvaultError as exc:
        result.error = exc.one_line()
    return result


def _all(client: ImapSession, folder: str) -> tuple[int | None, list[Seen]]:
    """The folder's UIDVALIDITY (None: no such folder) and its messages."""
    if not client.folder_exists(folder):
        return None, []
    selected = client.select(folder, readonly=True)
    if not selected.exists:
        return selected.uidvalidity, []
    return selected.uidvalidity, light_fetch(client, client.search())


def _folder(
    src: ImapSession, dst: ImapSession, source: str, destination: str, elsewhere: set[str] | None = None
) -> tuple[FolderCheck, set[str]]:
    """The check of one folder, and the identities its destination holds. ``elsewhere``: for Gmail's
    All Mail, the identities the account's other destination folders hold; a message found there is
    not missing (it came through its label)."""
    (src_validity, src_seen), (dst_validity, dst_seen) = _all(src, source), _all(dst, destination)
    repeated = repeated_ids(src_seen, dst_seen)
    if src_seen:
        src.select(source, readonly=True)
    src_by_uid = side_identities(src, src_seen, repeated)
    if dst_seen:
        dst.select(destination, readonly=True)
    dst_by_uid = side_identities(dst, dst_seen, repeated)
    src_ids, dst_ids = Counter(src_by_uid.values()), Counter(dst_by_uid.values())
    missing, extra = src_ids - dst_ids, dst_ids - src_ids
    if elsewhere is not None:
        missing = Counter({i: n for i, n in missing.items() if i not in elsewhere})
    validity_kept = src_validity is not None and src_validity == dst_validity
    return FolderCheck(
        utf7.decode(source), utf7.decode(destination), len(src_seen), len(dst_seen),
        sum(s.size for s in src_seen), sum(s.size for s in dst_seen),
        sum(missing.values()), sum(extra.values()), sorted(missing)[:EXAMPLES],
        validity_kept, validity_kept and all(dst_by_uid.get(uid) == i for uid, i in src_by_uid.items()),
    ), set(dst_ids)  # fmt: skip
