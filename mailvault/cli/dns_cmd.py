"""`mailvault dns ...`: the MX cutover of a provider switch, computed, gated and reversible."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailvault.cli.context import DryRunOpt, JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, stderr, stdout, table

if TYPE_CHECKING:
    from mailvault.actions.dns_context import DnsContext
    from mailvault.actions.dns_gate import Verdict
    from mailvault.actions.dns_steps import StepResult

app = typer.Typer(
    help="DNS for the cutover: inspect, plan, lower-ttl, gate, cutover, verify, raise-ttl, rollback.",
    no_args_is_help=True,
)
DomainArg = Annotated[str, typer.Argument(help="The mail domain, e.g. example.org.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Go ahead although the checks say no.")]


def _ctx(domain: str) -> DnsContext:
    from mailvault.actions.dns_context import dns_context

    return dns_context(current_config(), domain)


def _say(text: str) -> None:
    stdout.print(text)


def _local(iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if iso else ""


@app.command()
def inspect(domain: DomainArg, json: JsonOpt = False) -> None:
    """Ask the authoritative servers for the domain's mail records (MX and their addresses, SPF, DMARC,
    DKIM, MTA-STS, TLS-RPT, TLSA, SOA) with their TTLs, and flag what is inconsistent. Exit 1 on problems."""
    wants_json(json)
    from mailvault.actions.dns_inspect import inspect as inspect_action

    result = inspect_action(_ctx(domain))
    if json:
        emit_json(result.as_dict())
        raise typer.Exit(0 if not result.problems else 1)
    seen = result.observation
    servers = ", ".join(f"{v.server} (serial {v.serial})" for v in seen.views)
    _say(f"{seen.domain} in zone {seen.zone}; asked {servers}; negative TTL {seen.negative_ttl} s")
    table(
        "records",
        ["name", "type", "TTL", "value"],
        [[r["name"], r["type"], str(r["ttl"] or ""), "\n".join(r["values"])] for r in result.rows()],
    )
    if result.mta_sts is not None:
        p = result.mta_sts.policy
        _say(
            f"MTA-STS id {result.mta_sts.txt_id}: "
            + (f"mode {p.mode}, max_age {p.max_age} s, mx {', '.join(p.mx)}" if p else f"{result.mta_sts.error}")
        )
    for f in result.findings:
        _say(f"{f.level}: {f.text}")
    if not result.findings:
        _say("no inconsistencies found")
    raise typer.Exit(0 if not result.problems else 1)


@app.command()
def plan(
    domain: DomainArg,
    new_mx: Annotated[str, typer.Option("--new-mx", help="The MX host after the cutover.")],
    new_ip: Annotated[
        list[str] | None, typer.Option("--new-ip", help="Its address (repeat for IPv4 and IPv6); published if new.")
    ] = None,
    low_ttl: Annotated[int | None, typer.Option("--low-ttl", min=1, help="TTL around the cutover (s).")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Cutover time: ISO 8601 (local unless an offset is given) or +3h.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Compute the cutover timeline from the TTLs actually served and save it in the state dir."""
    wants_json(json)
    from mailvault.actions.dns_plan import make_plan

    result = make_plan(_ctx(domain), new_mx=new_mx, new_ips=list(new_ip or []), low_ttl=low_ttl, at=at)
    if json:
        emit_json(result)
        return
    _show_plan(result)


def _show_plan(p: dict[str, Any]) -> None:
    from mailvault.dns.records import Change

    _say(f"cutover of {p['domain']} to {p['new_mx']} ({p['mode']}), low TTL {p['low_ttl']} s, backend {p['backend']}")
    rows = [
        [
            s["name"],
            _local(s["not_before"]) or "now",
            _local(s["not_after"]) or "-",
            s["command"],
            s["why"],
        ]
        for s in p["timeline"]["steps"]
    ]
    table("timeline", ["step", "from", "by", "command", "why"], rows)
    for key, title in (("prepare", "lower-ttl changes"), ("cutover", "cutover changes"), ("raise_ttl", "raise-ttl")):
        for c in p[key]:
            _say(f"{title}: {Change.from_dict(c).describe()}")
    for w in p["warnings"]:
        _say(f"warning: {w}")
    for problem in p["problems"]:
        _say(f"problem in the zone now: {problem}")


def _show_manual(lines: list[str]) -> None:
    """The records a human enters (manual backend)."""
    if lines:
        _say("enter these records at your DNS provider:")
        for line in lines:
            _say(f"  {line}")


def _show_step(result: StepResult, json: bool) -> None:
    if json:
        emit_json(result.as_dict())
        return
    verb = "would change" if result.dry_run else "changed"
    for c in result.applied:
        _say(f"{verb}: {c.describe()}")
    for c in result.already:
        _say(f"already in place: {c.describe()}")
    _show_manual(result.manual)
    if result.journal_entry is not None:
        _say(f"journal entry {result.journal_entry}")
    for n in result.notes:
        _say(n)


@app.command("lower-ttl")
def lower_ttl(domain: DomainArg, dry_run: DryRunOpt = False, json: JsonOpt = False) -> None:
    """Lower the TTLs of what the cutover replaces, publish new names, add the new sender to SPF."""
    wants_json(json)
    from mailvault.actions.dns_steps import lower_ttl as lower

    _show_step(lower(_ctx(domain), dry_run=dry_run), json)


def _show_verdict(title: str, verdict: Verdict) -> None:
    rows = [
        [
            c.who,
            c.what,
            "ok" if c.ok else ("FAIL" if c.fatal else "warn"),
            c.detail,
            _local(c.until.isoformat() if c.until else None),
        ]
        for c in verdict.checks
    ]
    table(title, ["who", "what", "", "detail", "until"], rows)


@app.command()
def gate(
    domain: DomainArg,
    wait: Annotated[bool, typer.Option("--wait", help="Keep asking until the gate opens or --timeout.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="With --wait: give up after this many seconds.")] = 3600,
    json: JsonOpt = False,
) -> None:
    """May the cutover go ahead? Exit 0 when every check passes, 1 with who holds what, until when."""
    wants_json(json)
    from mailvault.actions.dns_gate import gate as gate_check
    from mailvault.actions.dns_gate import wait_for

    ctx = _ctx(domain)
    the_plan = ctx.load_plan()
    verdict = wait_for(
        lambda: gate_check(ctx, the_plan), timeout_s=timeout if wait else 0, every_s=5, on_round=_progress
    )
    if json:
        emit_json(verdict.as_dict())
    else:
        _show_verdict("gate", verdict)
        opens = f"; expected to open by {_local(verdict.open_until.isoformat())}" if verdict.open_until else ""
        _say("gate: PASSED" if verdict.passed else f"gate: CLOSED ({len(verdict.blocking)} checks failing{opens})")
    raise typer.Exit(0 if verdict.passed else 1)


def _progress(verdict: Verdict) -> None:
    stale = ", ".join(sorted({f"{c.who} {c.what}" for c in verdict.blocking}))
    stderr.print(f"mailvault: waiting for {stale}")


@app.command()
def cutover(domain: DomainArg, force: ForceOpt = False, dry_run: DryRunOpt = False, json: JsonOpt = False) -> None:
    """Switch the MX (or the MX host's addresses) as planned; refused until the gate passes."""
    wants_json(json)
    from mailvault.actions.dns_steps import cutover as switch

    _show_step(switch(_ctx(domain), force=force, dry_run=dry_run), json)


@app.command()
def verify(
    domain: DomainArg,
    wait: Annotated[
        bool, typer.Option("--wait", help="Keep asking until everyone sees the change or --timeout.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="With --wait: give up after this many seconds (default: low TTL + margin)."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Does every authoritative server and resolver see the cutover? Exit 0 when all do, 1 naming who is stale."""
    wants_json(json)
    from mailvault.actions.dns_gate import propagation, wait_for
    from mailvault.dns.records import Change

    ctx = _ctx(domain)
    the_plan = ctx.load_plan()
    changes = [Change.from_dict(c) for c in the_plan["cutover"]]
    limit = timeout if timeout is not None else the_plan["low_ttl"] + ctx.settings.margin.total_seconds()
    verdict = wait_for(
        lambda: propagation(ctx, changes),
        timeout_s=limit if wait else 0,
        every_s=min(5, max(1, the_plan["low_ttl"] / 5)),
        on_round=_progress,
    )
    if json:
        emit_json(verdict.as_dict())
    else:
        _show_verdict("propagation", verdict)
        _say(
            "verify: everyone sees the new records"
            if verdict.passed
            else f"verify: {len(verdict.blocking)} still stale"
        )
    raise typer.Exit(0 if verdict.passed else 1)


@app.command("raise-ttl")
def raise_ttl(
    domain: DomainArg,
    drop_old_senders: Annotated[
        bool, typer.Option("--drop-old-senders", help="Also remove the old server's addresses from SPF.")
    ] = False,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
) -> None:
    """Put the TTLs back to what they were before the cutover."""
    wants_json(json)
    from mailvault.actions.dns_steps import raise_ttl as raise_step

    _show_step(raise_step(_ctx(domain), drop_old_senders=drop_old_senders, dry_run=dry_run), json)


@app.command()
def rollback(domain: DomainArg, force: ForceOpt = False, dry_run: DryRunOpt = False, json: JsonOpt = False) -> None:
    """Undo every journaled change, newest first; safe to run again (it reads the zone first)."""
    wants_json(json)
    from mailvault.actions.dns_steps import rollback as undo

    result = undo(_ctx(domain), force=force, dry_run=dry_run)
    if json:
        emit_json(result.as_dict())
        return
    verb = "would undo" if dry_run else "undid"
    for entry, step, changes in result.undone:
        for c in changes:
            _say(f"{verb} ({step}, journal entry {entry}): {c.describe()}")
    for entry in result.nothing_to_undo:
        _say(f"journal entry {entry}: not in the zone, nothing to undo")
    _show_manual(result.manual)
    if not result.undone and not result.nothing_to_undo:
        _say("nothing to roll back")


@app.command()
def journal(domain: DomainArg, json: JsonOpt = False) -> None:
    """What was changed, when, and whether it was applied or rolled back."""
    wants_json(json)
    entries = _ctx(domain).journal.entries()
    if json:
        emit_json({"entries": [e.as_dict() for e in entries]})
        return
    from mailvault.dns.records import Change

    rows = [
        [str(e.id), e.step, _local(e.created), e.status, "\n".join(Change.describe(c) for c in e.changes)]
        for e in entries
    ]
    table("journal", ["#", "step", "when", "status", "changes"], rows)
