"""`mailvault migrate ...`: moving mailboxes from one IMAP server to another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import JsonOpt, wants_json
from mailvault.cli.output import emit_json, human_bytes, stdout, table

app = typer.Typer(help="Move mailboxes IMAP to IMAP: plan, run, verify, sync, roll back.", no_args_is_help=True)
AccountsArg = Annotated[Path, typer.Argument(help="The accounts file (TOML, or CSV with --servers).")]
ServersOpt = Annotated[
    Path | None, typer.Option("--servers", help="For a CSV accounts file: TOML with [source] and [destination].")
]


@app.command()
def plan(accounts: AccountsArg, servers: ServersOpt = None, json: JsonOpt = False) -> None:
    """Connect to both servers and show, per account, where each folder goes, counts, sizes, quota and
    an estimate. Writes nothing. Exit 1 when something would stop the run (quota, collisions, login)."""
    wants_json(json)
    from mailvault.migrate.accounts import load_accounts
    from mailvault.migrate.plan import ASSUMED_MESSAGES_PER_S
    from mailvault.migrate.plan import plan as plan_action

    plans = plan_action(load_accounts(accounts, servers))
    blocked = any(p.blocking for p in plans)
    if json:
        emit_json({"ok": not blocked, "accounts": [p.as_dict() for p in plans]})
        raise typer.Exit(1 if blocked else 0)
    for p in plans:
        stdout.print(f"\n[bold]{p.source_user} -> {p.destination_user}[/bold] (engine: {p.engine})", highlight=False)
        if p.error:
            stdout.print(f"  cannot plan: {p.error}", highlight=False, markup=False)
            continue
        stdout.print(f"  source: {p.source_layout}; destination: {p.destination_layout}", highlight=False, markup=False)
        rows = [
            [f.source, f.destination, f.why, str(f.messages), human_bytes(f.bytes), "exists" if f.exists else "new"]
            for f in p.folders
        ]
        table("folders", ["source", "destination", "why", "messages", "size", "on destination"], rows)
        for s in p.skipped:
            stdout.print(f"  skipped {s['folder']}: {s['why']}", highlight=False, markup=False)
        limit = (
            f"{human_bytes(p.destination_used_bytes)} used of {human_bytes(p.destination_limit_bytes)}"
            if p.destination_limit_bytes is not None
            else "no quota reported"
        )
        stdout.print(
            f"  total {p.messages} messages, {human_bytes(p.bytes)}; destination quota: {limit};"
            f" estimate {p.estimate_s:.0f} s (at {ASSUMED_MESSAGES_PER_S:.0f} messages/s)",
            highlight=False, markup=False,
        )  # fmt: skip
        for w in p.warnings:
            stdout.print(f"  warning: {w}", highlight=False, markup=False)
        for b in p.blocking:
            stdout.print(f"  BLOCKING: {b}", highlight=False, markup=False)
    raise typer.Exit(1 if blocked else 0)
