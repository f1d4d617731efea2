"""`mailvault status`, `mailvault report`, `mailvault metrics ...` and `mailvault alerts ...`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, key_values, stdout
from mailvault.errors import MailvaultError

metrics_app = typer.Typer(help="Prometheus metrics.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert targets: ping URLs, webhook, mail.", no_args_is_help=True)
UNKNOWN = 3


def status(
    json: JsonOpt = False,
    notify: Annotated[
        bool, typer.Option("--notify", help="Also send the alerts due (RPO breach, missed runs): the watch job.")
    ] = False,
) -> None:
    """Backups, checks and drills against their targets. Exit 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN (Nagios)."""
    wants_json(json)
    from mailvault.actions.status import status as status_action
    from mailvault.monitor.status import LEVEL_NAMES

    try:
        result = status_action(current_config(), notify=notify)
    except MailvaultError as exc:  # a monitoring plugin that cannot tell says UNKNOWN, not CRIT
        if json:
            emit_json({"level": UNKNOWN, "state": "UNKNOWN", "headline": f"MAILVAULT UNKNOWN - {exc.one_line()}"})
        print(f"MAILVAULT UNKNOWN - {exc.one_line()}", file=sys.stdout if not json else sys.stderr)
        raise typer.Exit(UNKNOWN) from exc
    level = result.status.level
    if json:
        emit_json(result.as_dict())
        raise typer.Exit(level)
    stdout.print(result.status.headline())
    for item in result.status.items:
        stdout.print(f"  {item.name:<11} {LEVEL_NAMES[item.level]:<5} {item.text}")
    stdout.print("next runs:")
    for job, when in result.next_runs.items():
        local = datetime.fromisoformat(when).astimezone().strftime("%Y-%m-%d %H:%M %Z") if when else "not scheduled"
        stdout.print(f"  {job:<13} {local}")
    for event in result.alerts:
        stdout.print(f"alert sent: {event.kind} ({event.summary})")
    raise typer.Exit(level)


@metrics_app.command("write")
def metrics_write(json: JsonOpt = False) -> None:
    """Write the metrics textfile now (every job does it when it ends)."""
    wants_json(json)
    from mailvault.monitor.job import metrics_path, write_metrics

    config = current_config()
    write_metrics(config)
    path = metrics_path(config)
    if not path.exists():
        raise MailvaultError(f"the metrics file {path} could not be written", hint="see the warning above")
    if json:
        emit_json({"ok": True, "path": str(path)})
    else:
        print(f"wrote {path}")


@metrics_app.command("serve")
def metrics_serve(
    listen: Annotated[str, typer.Option("--listen", help="Address:port to serve /metrics on.")] = "127.0.0.1:9898",
) -> None:
    """Serve the metrics over HTTP for Prometheus to scrape (built fresh on each scrape)."""
    from mailvault.actions.metrics_server import serve

    serve(current_config(), listen)


@alerts_app.command("test")
def alerts_test(json: JsonOpt = False) -> None:
    """Send a test alert to every configured target and say which took it."""
    wants_json(json)
    from mailvault.monitor.events import Event
    from mailvault.monitor.notify import deliver_each

    config = current_config()
    event = Event("failure", "test", "a test alert from `mailvault alerts test`: nothing is wrong")
    results = deliver_each(config.alerts, event)
    if json:
        emit_json({"ok": all(ok for _, ok, _ in results), "targets": [
            {"target": name, "delivered": ok, "error": error} for name, ok, error in results
        ]})  # fmt: skip
    else:
        key_values("alert targets", [(n, "delivered" if ok else f"FAILED: {e}") for n, ok, e in results] or [
            ("none", "no alert target is configured ([alerts.ping], [alerts.webhook] or [alerts.email])")
        ])  # fmt: skip
    if not results or not all(ok for _, ok, _ in results):
        raise typer.Exit(1)


@alerts_app.command("flush")
def alerts_flush(json: JsonOpt = False) -> None:
    """Retry now every alert that could not be delivered yet."""
    wants_json(json)
    from mailvault.monitor.notify import flush

    config = current_config()
    delivered, queued = flush(config.alerts, config.state.dir, everything=True)
    if json:
        emit_json({"ok": queued == 0, "delivered": delivered, "queued": queued})
    else:
        print(f"delivered {delivered} queued alert(s); {queued} still queued")
    if queued:
        raise typer.Exit(1)


def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="File or directory (index.html) to write; default: [report] html, else the state dir."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """This host's report as one HTML page (drills, RTO and RPO, coverage, backups, repository size,
    gaps): inline charts, nothing fetched, opens offline. --json prints the same data."""
    wants_json(json)
    from mailvault.actions.report import write

    data, path = write(current_config(), out)
    if json:
        emit_json({**data.as_dict(), "html": str(path)})
    else:
        stdout.print(f"report: {path}")
