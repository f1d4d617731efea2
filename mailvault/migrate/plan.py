"""`mailvault migrate plan`: what a run would do, per account, read from both servers. Writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from mailvault.errors import ImapRefused, MailvaultError
from mailvault.humanize import human_bytes
from mailvault.imap.client import ImapSession
from mailvault.imap.folders import PRESETS
from mailvault.imap.session import describe, folder_stats, message_count, quota, session, subscribed
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.caps import days_needed, destination_caps, pace, plan_notes
from mailvault.migrate.copy import Filters
from mailvault.migrate.dsync_engine import notes, unsupported
from mailvault.migrate.engines import CLIENTS_SEE, mapper
from mailvault.migrate.local_dovecot import inspect, problems
from mailvault.migrate.same_account import refuse_same_mailbox

# A conservative rate for the estimate, from the bench (bench/migrate_vs_mbsync.py) on loopback;
# a remote provider is usually slower: the plan says which rate it assumed. dsync measured ~1,270
# messages/s there (environment facts); half of it is assumed.
ASSUMED_MESSAGES_PER_S = 150.0
ASSUMED_DSYNC_MESSAGES_PER_S = 600.0
ASSUMED_BYTES_PER_S = 8 * 2**20
DSYNC_SAFETY = (
    "doveadm sync -1 -R: one way, the source is never written; not doveadm backup, which deletes destination"
    " mail the source lacks. dsync only enters destination folders that hold no mail (even -1 would mirror"
    " the source's expunges there); folders that hold mail are topped up by the imap engine, which never deletes"
)


@dataclass
class FolderRow:
    source: str  # decoded, for people
    destination: str
    why: str
    role: str | None
    messages: int
    bytes: int
    exists: bool
    subscribed: bool
    too_large: int = 0  # messages over the destination provider's size limit: skipped by `run`
    destination_messages: int = 0
    via: str = "imap"  # "dsync" (UIDs kept) or "imap" (APPEND: new UIDs)


@dataclass
class AccountPlan:
    source_user: str
    destination_user: str
    engine: str = "imap"
    clients: str = ""  # what mail clients will see after the move
    safety: str = ""  # how the engine keeps destination mail (doveadm)
    preconditions: list[str] = field(default_factory=list)  # what was checked and holds
    assumed_messages_per_s: float = ASSUMED_MESSAGES_PER_S
    source_layout: str = ""
    destination_layout: str = ""
    folders: list[FolderRow] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    collisions: dict[str, list[str]] = field(default_factory=dict)
    messages: int = 0
    bytes: int = 0
    destination_used_bytes: int | None = None
    destination_limit_bytes: int | None = None
    estimate_s: float = 0.0
    days_needed: int = 1  # at the destination provider's daily upload cap
    warnings: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan(
    accounts: AccountsFile,
    *,
    engines: dict[str, str] | None = None,
    on_account: Callable[[AccountPlan], None] | None = None,
) -> list[AccountPlan]:
    """Plan every account (a few at once) with its engine (``engines``: source user -> engine; default
    imap); an account that cannot be read gets its error, not an exception."""

    def one(account: Account) -> AccountPlan:
        engine = (engines or {}).get(account.source_user, "imap")
        try:
            found = plan_account(accounts, account, engine)
        except MailvaultError as exc:
            found = AccountPlan(account.source_user, account.destination_user, engine, CLIENTS_SEE[engine],
                                error=exc.one_line())  # fmt: skip
            found.blocking.append(exc.one_line())
        if on_account is not None:
            on_account(found)
        return found

    with ThreadPoolExecutor(max_workers=accounts.options.parallel_accounts) as pool:
        return list(pool.map(one, accounts.accounts))


def plan_account(accounts: AccountsFile, account: Account, engine: str = "imap") -> AccountPlan:
    src, dst = accounts.source, accounts.destination
    result = AccountPlan(account.source_user, account.destination_user, engine, CLIENTS_SEE[engine])
    for role, endpoint in (("source", src), ("destination", dst)):
        if endpoint.tls == "none":
            result.warnings.append(f'{role} {endpoint.host}:{endpoint.port} is reached without TLS (tls = "none")')
    if engine == "doveadm":
        _doveadm_preconditions(accounts, account, result)
    with session(src, account.source_user, account.secret("source"), role="source") as source_client:
        source_side = describe(source_client)
        subs = subscribed(source_client)
        with session(dst, account.destination_user, account.secret("destination"), role="destination") as dest:
            refuse_same_mailbox(source_client, dest, accounts, account)
            dest_side = describe(dest)
            room = quota(dest)
            folder_plan = mapper(engine, accounts.options.preset)(source_side, dest_side)
            held = {m.destination: _messages(dest, m.destination) for m in folder_plan.mappings if m.exists}
        caps = destination_caps(dst.preset)
        over: dict[str, tuple[int, int]] = {}
        for m in folder_plan.mappings:
            stats = folder_stats(source_client, m.source, over=caps.max_message_bytes)
            via = "dsync" if engine == "doveadm" and not held.get(m.destination) else "imap"
            result.folders.append(FolderRow(
                utf7.decode(m.source), utf7.decode(m.destination), m.why, m.role, stats.messages, stats.bytes,
                m.exists, m.source in subs, stats.over, held.get(m.destination, 0), via,
            ))  # fmt: skip
            over[utf7.decode(m.source)] = (stats.over, stats.over_bytes)
    result.source_layout = _layout(source_side.delimiter, source_side.prefix)
    result.destination_layout = _layout(dest_side.delimiter, dest_side.prefix)
    result.skipped = [{"folder": utf7.decode(s), "why": why} for s, why in folder_plan.skipped]
    result.collisions = {utf7.decode(d): [utf7.decode(s) for s in srcs] for d, srcs in folder_plan.collisions.items()}
    result.messages = sum(f.messages for f in result.folders)
    result.bytes = sum(f.bytes for f in result.folders)
    if engine == "doveadm":
        into = [m for m in folder_plan.mappings if not held.get(m.destination)]
        result.warnings += notes(into, [m for m in folder_plan.mappings if held.get(m.destination)], dest_side)
        result.assumed_messages_per_s = ASSUMED_DSYNC_MESSAGES_PER_S
    rate = pace(ASSUMED_BYTES_PER_S, caps)
    result.estimate_s = round(max(result.messages / result.assumed_messages_per_s, result.bytes / (rate or 1)), 1)
    upload = result.bytes - sum(b for _n, b in over.values())
    result.days_needed = days_needed(upload, caps.max_bytes_per_day)
    result.warnings.extend(plan_notes(caps, over, result.bytes))
    if room is not None:
        result.destination_used_bytes, result.destination_limit_bytes = room.used_bytes, room.limit_bytes
        if room.limit_bytes is not None and room.used_bytes + result.bytes > room.limit_bytes:
            result.blocking.append(
                f"the destination mailbox has {human_bytes(room.limit_bytes - room.used_bytes)} free of its quota,"
                f" the source holds {human_bytes(result.bytes)}: raise the quota first"
            )
    for destination, sources in result.collisions.items():
        result.blocking.append(f"{', '.join(sources)} would all land in {destination}: rename one on the source")
    for role, endpoint in (("source", src), ("destination", dst)):
        preset = PRESETS.get(endpoint.preset or "")
        if preset is not None:
            result.warnings.append(f"{role} preset {preset.name}: {preset.notes}")
    return result


def _doveadm_preconditions(accounts: AccountsFile, account: Account, result: AccountPlan) -> None:
    """doveadm present, its config readable, the destination served by it, the user known to it."""
    result.safety = DSYNC_SAFETY
    for why in unsupported(accounts, account, Filters()):
        result.blocking.append(f"--engine doveadm cannot move this account: {why} (use --engine imap)")
    try:
        local = inspect(accounts.options)
    except MailvaultError as exc:
        result.blocking.append(exc.one_line())
        return
    result.preconditions.append(f"doveadm ({local.binary}) reads {local.config}")
    found = problems(local, accounts.destination, account.destination_user)
    result.blocking += found
    if not found:
        result.preconditions += [
            f"the destination {accounts.destination.host}:{accounts.destination.port} is the Dovecot of {local.config}",
            f"the destination user {account.destination_user} exists in its userdb",
        ]


def _messages(client: ImapSession, name: str) -> int:
    try:
        return message_count(client, name)
    except ImapRefused:  # a \Noselect level: it holds no mail
        return 0


def _layout(delimiter: str, prefix: str) -> str:
    return f"separator {delimiter!r}" + (f", namespace prefix {prefix!r}" if prefix else ", no namespace prefix")
