"""`mailvault migrate run --engine doveadm`: Dovecot's dsync moves an account into the Dovecot on this
host and keeps each folder's UIDVALIDITY and each message's UID, so mail clients download nothing
again.

The command is ``doveadm sync -1 -R`` (tools/doveadm.py says why not ``backup``, which deletes, nor
two-way ``sync``, which writes to the old server). Even one-way, dsync mirrors onto the destination
what the source expunged since an earlier dsync; so dsync only ever enters destination folders that
hold no mail when the run starts: every folder that holds mail is handed to it with ``-x``, which it
leaves alone. Then the imap engine goes over every folder: it finds what dsync placed by identity and
records it in the state (so `sync`, `verify` and `rollback` work as after an imap run), copies what
dsync left out (a folder whose destination held mail: a re-run, mail that arrived there first), and
never deletes. Nothing on the destination is lost; nothing is copied twice.

Folders land by path, as dsync places them: a source's Sent lands in Sent even where the
destination's \\Sent folder is "Sent Messages" (the plan says so, folder by folder). The source
password reaches doveadm in a config that exists only in memory, never in argv or on disk.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from mailvault import execute
from mailvault.errors import DoveadmError, MailvaultError
from mailvault.imap.folders import FolderPlan, Mapping, Side, map_folders
from mailvault.imap.session import FolderStats, describe, folder_stats, message_count
from mailvault.keys.secrets import resolve
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile
from mailvault.migrate.copy import AccountResult, Filters, Progress, run_account, session_pair
from mailvault.migrate.local_dovecot import LocalDovecot, inspect, problems
from mailvault.migrate.state import MigrationState
from mailvault.tools.doveadm import EX_RETRY, Imapc, dsync_names, explain_failure, password_config, sync_argv

logger = logging.getLogger(__name__)
RETRIES_ON_EXIT_2 = 2  # "mail changed while syncing": Dovecot's advice is to run it again


@dataclass
class Split:
    """Which folders dsync fills (their destination holds no mail) and what it must leave alone."""

    source: Side
    destination: Side
    plan: FolderPlan
    into_dsync: list[Mapping] = field(default_factory=list)
    held: list[Mapping] = field(default_factory=list)  # the destination already holds mail there
    exclude: list[str] = field(default_factory=list)  # -x names
    stats: dict[str, FolderStats] = field(default_factory=dict)  # per source folder
    new: set[str] = field(default_factory=set)  # destination folders that do not exist yet


def unsupported(accounts: AccountsFile, account: Account, filters: Filters) -> list[str]:
    """What the doveadm engine cannot do for this account (empty: nothing)."""
    found = []
    if accounts.source.auth == "xoauth2" or account.source_oauth_token_command is not None:
        found.append("the source logs in with XOAUTH2, which doveadm's imapc is not given here")
    if accounts.options.preset is not None:
        found.append(f"preset {accounts.options.preset} maps folders in ways dsync cannot")
    if filters.since is not None or filters.max_bytes_per_second is not None:
        found.append("--since and --max-bytes-per-second have no dsync equivalent")
    return found


def split(accounts: AccountsFile, account: Account, filters: Filters) -> Split:
    """Read both servers: where each folder goes (by path) and which destination folders hold mail."""
    with session_pair(accounts, account) as (src, dst):
        source, destination = describe(src), describe(dst)
        plan = map_folders(source, destination, by_role=False)
        if plan.collisions:
            names = "; ".join(f"{', '.join(s)} -> {d}" for d, s in plan.collisions.items())
            raise MailvaultError(f"{account.source_user}: folders would merge ({names})",
                                 hint="see `mailvault migrate plan --engine doveadm`")  # fmt: skip
        holding = {f.name for f in destination.folders if f.selectable and message_count(dst, f.name)}
        found = Split(source, destination, plan, stats={m.source: folder_stats(src, m.source) for m in plan.mappings})
    existing = {f.name for f in destination.folders}
    by_name = {f.name: f for f in source.folders}
    leave: set[str] = set()
    for m in plan.mappings:
        path = source.path(by_name[m.source])
        if m.destination in holding or not filters.wants(utf7.decode(m.source)):
            leave.update(dsync_names(path, destination.delimiter))
        if not filters.wants(utf7.decode(m.source)):
            continue
        (found.held if m.destination in holding else found.into_dsync).append(m)
        if m.destination not in existing:
            found.new.add(m.destination)
    for f in destination.folders:  # held folders outside the mapping too (parents, the destination's own)
        if f.name in holding:
            leave.update(dsync_names(destination.path(f), destination.delimiter))
    for name, _why in plan.skipped:  # \All-style views: their mail is in other folders
        if not by_name[name].selectable:
            continue
        leave.update(dsync_names(source.path(by_name[name]), destination.delimiter))
    found.exclude = sorted(leave)
    return found


def dsync_needed(found: Split) -> bool:
    """Run dsync only when it has mail to bring or a folder to create."""
    return any(found.stats[m.source].messages or m.destination in found.new for m in found.into_dsync)


def run_account_dsync(
    accounts: AccountsFile,
    account: Account,
    state: MigrationState,
    *,
    filters: Filters | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> AccountResult:
    """Move one account with dsync, then let the imap engine record and complete it (see above).
    Errors naming the account end up in ``result.error``."""
    filters = filters or Filters()
    user = account.source_user
    result = AccountResult(account.source_user, account.destination_user, dry_run=dry_run, engine="doveadm")
    began = time.monotonic()
    try:
        refused = unsupported(accounts, account, filters)
        if refused:
            raise DoveadmError(f"{user}: --engine doveadm cannot move this account: {refused[0]}",
                               hint="use --engine imap for it", details=refused[1:])  # fmt: skip
        local = inspect(accounts.options)
        blocking = problems(local, accounts.destination, account.destination_user)
        if blocking:
            raise DoveadmError(f"{user}: {blocking[0]}", hint="see `mailvault migrate plan --engine doveadm`",
                               details=blocking[1:])  # fmt: skip
        found = split(accounts, account, filters)
        first = state.engine(user) is None  # on later runs every folder holds mail: no news
        result.notes += notes(found.into_dsync, found.held if first else [], found.destination)
        logger.info("%s: dsync into %d folders whose destination holds no mail, %d left to the imap engine%s",
                    user, len(found.into_dsync), len(found.held), " (dry run)" if dry_run else "")  # fmt: skip
        if dry_run:
            done = run_account(accounts, account, state, filters=filters, dry_run=True, mapper=_by_path)
            result.folders, result.error = done.folders, done.error
            for folder in result.folders:
                folder.engine = _engine_of(folder.destination, found)
            return result
        state.set_engine(user, "doveadm")  # before anything is written: later runs place folders the same way
        if dsync_needed(found):
            pull(accounts, account, local, found)
        done = run_account(accounts, account, state, filters=filters, progress=progress, mapper=_by_path)
        result.folders, result.error = done.folders, done.error
        for folder in result.folders:
            folder.engine = _engine_of(folder.destination, found)
            if folder.engine == "dsync":  # it was empty on the destination: all of it came in this run
                folder.copied += folder.found_on_destination
                folder.found_on_destination = 0
                source = next(m.source for m in found.into_dsync if utf7.decode(m.destination) == folder.destination)
                folder.bytes = max(folder.bytes, found.stats[source].bytes)
    except MailvaultError as exc:
        result.error = exc.one_line()
        result.error_details = [execute.mask(d) for d in exc.details]
    finally:
        result.seconds = round(time.monotonic() - began, 3)
    return result


def _by_path(source: Side, destination: Side) -> FolderPlan:
    return map_folders(source, destination, by_role=False)


def _engine_of(decoded_destination: str, found: Split) -> str:
    dsynced = {utf7.decode(m.destination) for m in found.into_dsync}
    return "dsync" if decoded_destination in dsynced else "imap"


def notes(into_dsync: list[Mapping], held: list[Mapping], destination: Side) -> list[str]:
    """What the operator should know: role folders that dsync cannot place by role, folders whose
    destination already holds mail (UIDs not kept there)."""
    found = []
    roles = destination.by_role()
    for m in into_dsync + held:
        target = roles.get(m.role or "")
        if target is not None and target.name != m.destination:
            found.append(
                f"{utf7.decode(m.source)} ({m.role}) lands in {utf7.decode(m.destination)}, not in the destination's"
                f" {m.role} folder {utf7.decode(target.name)}: dsync places folders by name"
            )
    for m in held:
        found.append(f"{utf7.decode(m.destination)} already holds mail: dsync leaves it alone; what is missing"
                     " there is added by the imap engine, with new UIDs")  # fmt: skip
    return found


def pull(accounts: AccountsFile, account: Account, local: LocalDovecot, found: Split) -> None:
    """Run the dsync for the folders of ``found`` (retried on exit 2); DoveadmError naming the account,
    what went wrong and what to do when it fails."""
    src = accounts.source
    imapc = Imapc(src.host, src.port, src.tls, account.source_user, src.ca_file,
                  found.source.prefix.rstrip(found.source.delimiter))  # fmt: skip
    password = resolve(account.secret("source"))
    try:
        text = password_config(local.config, password)
    except ValueError as exc:
        raise DoveadmError(f"{account.source_user}: the source password cannot be handed to doveadm ({exc})",
                           hint="use --engine imap for this account") from None  # fmt: skip
    namespace = local.settings.namespace if local.settings.prefix else None
    with execute.memory_file("mailvault-dsync", text) as config:
        argv = sync_argv(local.binary, config, account.destination_user, imapc, namespace=namespace,
                         exclude=found.exclude)  # fmt: skip
        for attempt in range(RETRIES_ON_EXIT_2 + 1):
            done = execute.run(argv, check=False)
            if done.returncode == 0 or (done.returncode == EX_RETRY and attempt == RETRIES_ON_EXIT_2):
                return  # exit 2 after the retries: what is left over, the imap pass that follows copies
            if done.returncode != EX_RETRY:
                break
            logger.info("%s: dsync says mail changed while it copied (exit 2); running it again", account.source_user)
    what, hint = explain_failure(done.returncode, done.stderr)
    errors = [execute.mask(line) for line in done.stderr.splitlines() if line.strip() and ": Info: " not in line]
    raise DoveadmError(
        f"{account.source_user}: dsync from {src.host}:{src.port} failed (exit {done.returncode}): {what}",
        hint=hint,
        details=[f"command: {execute.render_argv(argv)}",
                 *(f"stderr:  {line}" for line in errors[-execute.STDERR_TAIL_LINES:])],
    )  # fmt: skip
