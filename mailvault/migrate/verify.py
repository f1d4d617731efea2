"""`mailvault migrate verify`: per folder, both sides' counts, sizes and message identities.

A message on the source that is not on the destination is *missing* (the migration is not done);
one on the destination that is not on the source is *extra* (mail that arrived there, or was there
before): reported, not a failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from imapclient import IMAPClient

from mailvault.errors import MailvaultError
from mailvault.imap.folders import map_folders
from mailvault.imap.session import describe
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import Filters, light_fetch, session_pair, side_identities
from mailvault.migrate.identity import repeated_ids

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


def verify_account(accounts: AccountsFile, account: Account, filters: Filters | None = None) -> AccountCheck:
    filters = filters or Filters()
    result = AccountCheck(account.source_user, account.destination_user)
    try:
        with session_pair(accounts, account) as (src, dst):
            plan = map_folders(describe(src), describe(dst), preset=accounts.options.preset)
            for m in plan.mappings:
                if filters.wants(utf7.decode(m.source)):
                    result.folders.append(_folder(src, dst, m.source, m.destination))
    except MailvaultError as exc:
        result.error = exc.one_line()
    return result


def _all(client: IMAPClient, folder: str) -> list[Any]:
    if not client.folder_exists(folder):
        return []
    selected = client.select_folder(folder, readonly=True)
    if not int(selected.get(b"EXISTS", 0)):
        return []
    return light_fetch(client, sorted(client.search(["ALL"])))


def _folder(src: IMAPClient, dst: IMAPClient, source: str, destination: str) -> FolderCheck:
    src_seen, dst_seen = _all(src, source), _all(dst, destination)
    repeated = repeated_ids(src_seen, dst_seen)
    if src_seen:
        src.select_folder(source, readonly=True)
    src_ids = Counter(side_identities(src, src_seen, repeated).values())
    if dst_seen:
        dst.select_folder(destination, readonly=True)
    dst_ids = Counter(side_identities(dst, dst_seen, repeated).values())
    missing, extra = src_ids - dst_ids, dst_ids - src_ids
    return FolderCheck(
        utf7.decode(source), utf7.decode(destination), len(src_seen), len(dst_seen),
        sum(s.size for s in src_seen), sum(s.size for s in dst_seen),
        sum(missing.values()), sum(extra.values()), sorted(missing)[:EXAMPLES],
    )  # fmt: skip
