"""`mailvault migrate ...`: moving mailboxes from one IMAP server to another."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mailvault.cli.context import JsonOpt, wants_json
from mailvault.cli.output import emit_json, human_bytes, stdout, table
from mailvault.humanize import count as n_of
from mailvault.runtime import fewer_gc_pauses

if TYPE_CHECKING:
    from mailvault.actions.dns_context import DnsContext
    from mailvault.migrate.accounts import AccountsFile
    from mailvault.migrate.copy import AccountResult
    from mailvault.migrate.state import MigrationState

app = typer.Typer(help="Move mailboxes IMAP to IMAP: plan, run, verify, sync, roll back.", no_args_is_help=True)
AccountsArg = Annotated[Path, typer.Argument(help="The accounts file (TOML, or CSV with --servers).")]
ServersOpt = Annotated[
    Path | None, typer.Option("--servers", help="For a CSV accounts file: TOML with [source] and [destination].")
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="imap (any server; clients download everything again) or doveadm (the destination is this host's"
        " Dovecot: dsync keeps UIDVALIDITY and UIDs). Default: the engine that moved the account before, else imap.",
    ),
]
StateDirOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="Where the copy state lives (default: the config's state dir).")
]


@app.command()
def plan(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    engine: EngineOpt = None,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Connect to both servers and show, per account, the engine and what clients will see, where each
    folder goes, counts, sizes, quota and an estimate. Writes nothing. Exit 1 when something would stop
    the run (quota, collisions, login, a doveadm precondition)."""
    wants_json(json)
    from mailvault.migrate.plan import plan as plan_action

    spec = _load(accounts, servers)
    plans = plan_action(spec, engines=_engines(spec, _state(state_dir, create=False), engine))
    blocked = any(p.blocking for p in plans)
    if json:
        emit_json({"ok": not blocked, "accounts": [p.as_dict() for p in plans]})
        raise typer.Exit(1 if blocked else 0)
    for p in plans:
        stdout.print(
            Text.assemble("\n", (f"{p.source_user} -> {p.destination_user}", "bold"), f" (engine: {p.engine})")
        )
        stdout.print(f"  clients: {p.clients}")
        if p.safety:
            stdout.print(f"  safety: {p.safety}")
        for c in p.preconditions:
            stdout.print(f"  ok: {c}")
        if p.error:
            stdout.print(f"  cannot plan: {p.error}")
            continue
        stdout.print(f"  source: {p.source_layout}; destination: {p.destination_layout}")
        rows = [
            [f.source, f.destination, f.why, str(f.messages), human_bytes(f.bytes),
             f"holds {f.destination_messages}" if f.destination_messages else "exists" if f.exists else "new", f.via]
            for f in p.folders
        ]  # fmt: skip
        table("folders", ["source", "destination", "why", "messages", "size", "on destination", "via"], rows)
        for s in p.skipped:
            stdout.print(f"  skipped {s['folder']}: {s['why']}")
        limit = (
            f"{human_bytes(p.destination_used_bytes)} used of {human_bytes(p.destination_limit_bytes)}"
            if p.destination_limit_bytes is not None
            else "no quota reported"
        )
        stdout.print(
            f"  total {p.messages} messages, {human_bytes(p.bytes)}; destination quota: {limit};"
            f" estimate {p.estimate_s:.0f} s (at {p.assumed_messages_per_s:.0f} messages/s)",
        )
        for w in p.warnings:
            stdout.print(f"  warning: {w}")
        for b in p.blocking:
            stdout.print(f"  BLOCKING: {b}")
    raise typer.Exit(1 if blocked else 0)


FoldersOpt = Annotated[list[str] | None, typer.Option("--folders", help="Only source folders matching these globs.")]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", help="Leave out source folders matching these.")]


def _load(accounts: Path, servers: Path | None) -> AccountsFile:
    """The accounts file, refused when an account's destination is its own source."""
    from mailvault.migrate.accounts import load_accounts
    from mailvault.migrate.same_account import refuse_same_accounts

    spec = load_accounts(accounts, servers)
    refuse_same_accounts(spec)
    return spec


def _state_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    from mailvault.cli.context import GLOBALS
    from mailvault.config.load import config_path, load_config
    from mailvault.config.where import default_state_dir

    path = config_path(GLOBALS.config)
    return load_config(path).state.dir if path.exists() else default_state_dir()


def _state(explicit: Path | None, *, create: bool) -> MigrationState | None:
    """The migration state (None when it does not exist and ``create`` is false)."""
    from mailvault.migrate.state import MigrationState
    from mailvault.state.paths import StatePaths

    paths = StatePaths(_state_dir(explicit))
    if not create and not (paths.root / "migrate.db").exists():
        return None
    paths.ensure()
    return MigrationState(paths.root / "migrate.db")


def _engines(spec: AccountsFile, state: MigrationState | None, requested: str | None) -> dict[str, str]:
    """Source user -> the engine that moves it (ConfigError on an unknown engine or a switch)."""
    from mailvault.migrate.engines import checked, choose

    checked(requested)
    return {a.source_user: choose(state, a.source_user, requested) for a in spec.accounts}


@app.command()
def run(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    engine: EngineOpt = None,
    folders: FoldersOpt = None,
    exclude: ExcludeOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="Only messages that arrived since DATE.")] = None,
    max_bytes_per_second: Annotated[
        float | None, typer.Option("--max-bytes-per-second", help="Cap the copy rate (all accounts).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be copied; write nothing.")] = False,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="Skip the verify that ends a run.")] = False,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Copy every message with flags, keywords and dates; resumable, never twice; then verify.
    With a preset on the destination, its provider's caps hold: larger messages are skipped, and the
    copy pauses before the daily upload cap (run again when it says). Exit 0 when every account is
    complete and verified, 1 otherwise."""
    wants_json(json)
    fewer_gc_pauses()
    from mailvault.actions.migrate_run import move_accounts
    from mailvault.cli.progress import count_progress
    from mailvault.migrate.copy import Filters, since_date

    spec = _load(accounts, servers)
    filters = Filters(tuple(folders or ()), tuple(exclude or ()), since_date(since) if since else None,
                      max_bytes_per_second)  # fmt: skip
    state = _state(state_dir, create=True)
    assert state is not None
    with count_progress("messages") as show:
        moved = move_accounts(spec, state, _engines(spec, state, engine), filters, show,
                              dry_run=dry_run, verify=not no_verify)  # fmt: skip
    if json:
        emit_json({"ok": moved.ok, "accounts": [r.as_dict() for r in moved.results],
                   "verify": [c.as_dict() for c in moved.checks]})  # fmt: skip
        raise typer.Exit(0 if moved.ok else 1)
    for r in moved.results:
        _show_copy(r, dry_run=dry_run)
    _print_checks(moved.checks)
    raise typer.Exit(0 if moved.ok else 1)


def _show_copy(r: AccountResult, *, dry_run: bool) -> None:
    """One account's copy, for people: counts, engine, refusals, skips, a pause or an error."""
    verb = "would copy" if dry_run else "copied"
    count = sum(f.pending for f in r.folders) if dry_run else r.copied
    found = sum(f.found_on_destination for f in r.folders)
    held = sum(f.held_elsewhere for f in r.folders)
    line = f"{r.source_user} -> {r.destination_user}: {verb} {n_of(count, 'message')}, {human_bytes(r.bytes)}"
    line += f" in {r.seconds:.1f} s (engine {r.engine})"
    line += f"; {found} were already there" if found else ""
    line += f"; {held} in All Mail came through their labels" if held else ""
    stdout.print(line)
    if r.engine == "doveadm":
        dsynced = [f.source for f in r.folders if f.engine == "dsync"]
        stdout.print(f"  dsync (UIDs kept): {', '.join(dsynced) or 'no folder'}")
    for note in r.notes:
        stdout.print(f"  note: {note}")
    for f in r.folders:
        for rej in f.rejected:
            stdout.print(f"  REFUSED {f.source} UID {rej.uid} ({human_bytes(rej.size)}): {rej.reason}")
        if f.error:
            stdout.print(f"  FOLDER NOT COPIED {f.source}: {f.error}")
        for skip in f.skipped:
            stdout.print(f"  SKIPPED {f.source} UID {skip.uid}: {skip.reason}")
    if r.paused:
        stdout.print(f"  PAUSED: {r.paused}")
    if r.error:
        stdout.print(f"  ERROR: {r.error}")
        for detail in r.error_details:
            stdout.print(f"    {detail}")


@app.command()
def verify(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    folders: FoldersOpt = None,
    exclude: ExcludeOpt = None,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Per folder on both sides: counts, sizes, the message identities (what is missing or extra) and
    whether UIDVALIDITY and UIDs were kept. Exit 0 when nothing is missing, 1 otherwise."""
    wants_json(json)
    from mailvault.migrate.copy import Filters
    from mailvault.migrate.engines import mapper
    from mailvault.migrate.verify import verify_account

    spec = _load(accounts, servers)
    chosen = _engines(spec, _state(state_dir, create=False), None)
    filters = Filters(tuple(folders or ()), tuple(exclude or ()))
    checks = [verify_account(spec, a, filters, mapper(chosen[a.source_user], spec.options.preset))
              for a in spec.accounts]  # fmt: skip
    ok = all(c.ok for c in checks)
    if json:
        emit_json({"ok": ok, "accounts": [c.as_dict() for c in checks]})
    else:
        _print_checks(checks)
    raise typer.Exit(0 if ok else 1)


def _print_checks(checks: list) -> None:  # type: ignore[type-arg]
    for c in checks:
        state = "verified" if c.ok else "NOT COMPLETE"
        stdout.print(f"verify {c.source_user} -> {c.destination_user}: {state}")
        if c.error:
            stdout.print(f"  ERROR: {c.error}")
            continue
        rows = [[f.source, f.destination, f"{f.source_messages}/{f.destination_messages}",
                 f"{human_bytes(f.source_bytes)}/{human_bytes(f.destination_bytes)}", str(f.missing), str(f.extra),
                 "yes" if f.uids_kept else "UIDVALIDITY only" if f.uidvalidity_kept else "no"]
                for f in c.folders]  # fmt: skip
        table("folders", ["source", "destination", "messages", "size", "missing", "extra", "UIDs kept"], rows)


@app.command()
def sync(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    folders: FoldersOpt = None,
    exclude: ExcludeOpt = None,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Catch up during the overlap: new mail and flag/keyword changes since the last run or sync.
    An unchanged folder costs one STATUS. Exit 1 when an account could not be synced."""
    wants_json(json)
    fewer_gc_pauses()
    from concurrent.futures import ThreadPoolExecutor

    from mailvault.migrate.copy import Filters
    from mailvault.migrate.engines import mapper
    from mailvault.migrate.sync import sync_account

    spec = _load(accounts, servers)
    state = _state(state_dir, create=True)
    assert state is not None
    chosen = _engines(spec, state, None)
    filters = Filters(tuple(folders or ()), tuple(exclude or ()))
    with ThreadPoolExecutor(spec.options.parallel_accounts) as pool:
        results = list(pool.map(
            lambda a: sync_account(spec, a, state, filters, mapper(chosen[a.source_user], spec.options.preset)),
            spec.accounts,
        ))  # fmt: skip
    failed = any(r.error for r in results)
    if json:
        emit_json({"ok": not failed, "accounts": [r.as_dict() for r in results]})
        raise typer.Exit(1 if failed else 0)
    for r in results:
        d = r.as_dict()
        stdout.print(
            f"{r.source_user} -> {r.destination_user}: {n_of(d['copied'], 'new message')} copied,"
            f" {n_of(d['flags_updated'], 'flag change')} carried, {d['unchanged_folders']}/{len(r.folders)} folders"
            f" unchanged, {r.seconds:.2f} s",
        )
        if r.error:
            stdout.print(f"  ERROR: {r.error}")
    raise typer.Exit(1 if failed else 0)


DomainOpt = Annotated[
    str | None, typer.Option("--domain", help="The mail domain whose MX moves (default: [migrate] domain).")
]


def _dns_for(domain: str | None, *, required: bool) -> DnsContext | None:
    from mailvault.actions.dns_context import dns_context
    from mailvault.cli.context import current_config
    from mailvault.errors import ConfigError

    config = current_config()
    name = domain or config.migrate.domain
    if name is None:
        if required:
            raise ConfigError("which domain's MX? give --domain or set [migrate] domain in the config")
        return None
    return dns_context(config, name)


@app.command()
def cutover(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    domain: DomainOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Switch although the DNS gate has not passed.")] = False,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """The switch in one command: final sync, `dns cutover` (after its gate), `dns verify --wait`, sync
    again. Exit 0 when everyone sees the new MX and both syncs are clean, 1 otherwise."""
    wants_json(json)
    from mailvault.actions.migrate_cutover import migrate_cutover

    spec = _load(accounts, servers)
    ctx = _dns_for(domain, required=True)
    assert ctx is not None
    state = _state(state_dir, create=True)
    assert state is not None
    result = migrate_cutover(spec, state, ctx, engines=_engines(spec, state, None), force=force)
    if json:
        emit_json(result.as_dict())
        raise typer.Exit(0 if result.ok else 1)
    for label, syncs in (("final sync", result.first_sync), ("sync after the switch", result.second_sync)):
        for r in syncs:
            d = r.as_dict()
            line = f"{label}: {r.source_user} -> {r.destination_user}: {d['copied']} new"
            line += f", {d['flags_updated']} flag changes"
            stdout.print(line + (f"; ERROR: {r.error}" if r.error else ""))
    if result.dns is not None:
        for c in result.dns.applied:
            stdout.print(f"switched: {c.describe()}")
        for c in result.dns.already:
            stdout.print(f"already switched: {c.describe()}")
    if result.propagation is not None:
        stale = sorted({f"{c.who} ({c.what})" for c in result.propagation.blocking})
        stdout.print("every resolver in the panel sees the new MX" if not stale else
                     f"still stale: {', '.join(stale)}; run `mailvault dns verify --wait` later")  # fmt: skip
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def rollback(
    accounts: AccountsArg,
    servers: ServersOpt = None,
    plan_only: Annotated[bool, typer.Option("--plan", help="Show what would be done; change nothing.")] = False,
    since: Annotated[str | None, typer.Option("--since", help="Only mail that arrived since DATE.")] = None,
    domain: DomainOpt = None,
    force: Annotated[bool, typer.Option("--force", help="DNS: put the old records back over others' edits.")] = False,
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Undo a cutover: with a domain (--domain or [migrate] domain), the MX goes back first (the DNS
    journal's inverse); then what arrived on the new server is copied back to the old one, into the
    folders it came from (nothing twice). Exit 1 on any error."""
    wants_json(json)
    fewer_gc_pauses()
    from mailvault.actions.migrate_cutover import migrate_rollback
    from mailvault.cli.progress import count_progress
    from mailvault.migrate.copy import Filters, since_date

    spec = _load(accounts, servers)
    ctx = _dns_for(domain, required=False)
    state = _state(state_dir, create=True)
    assert state is not None
    engines = _engines(spec, state, None)
    filters = Filters(since=since_date(since) if since else None)
    with count_progress("messages") as show:
        result = migrate_rollback(
            spec, state, ctx, engines=engines, plan_only=plan_only, force=force, filters=filters, progress=show
        )
    if json:
        emit_json({**result.as_dict(), "plan": plan_only})
        raise typer.Exit(0 if result.ok else 1)
    if result.dns is not None:
        verb = "would put back" if plan_only else "put back"
        for entry, step, changes in result.dns.undone:
            for c in changes:
                line = f"DNS {verb} ({step}, journal entry {entry}): {c.describe()}"
                stdout.print(line)
        if not result.dns.undone:
            stdout.print("DNS: nothing to roll back")
    elif not plan_only:
        stdout.print("no domain given: DNS left as it is (give --domain to move the MX back too)")
    for r in result.mail:
        back = [f for f in r.folders if (f.pending if plan_only else f.copied)]
        verb = "would copy back" if plan_only else "copied back"
        count = sum(f.pending for f in back) if plan_only else r.copied
        stdout.print(f"{r.destination_user} <- {r.source_user}: {verb} {n_of(count, 'message')}")
        for f in back:
            n = f.pending if plan_only else f.copied
            stdout.print(f"  {f.source} -> {f.destination}: {n}")
        if r.error:
            stdout.print(f"  ERROR: {r.error}")
    raise typer.Exit(0 if result.ok else 1)
