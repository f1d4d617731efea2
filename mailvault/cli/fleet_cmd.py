"""`mailvault fleet ...`: the fleet's key, and the view of every host from the buckets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, stdout
from mailvault.humanize import human_bytes, human_duration

app = typer.Typer(help="Many mail hosts at once, from their sealed summaries beside the backups.",
                  no_args_is_help=True)  # fmt: skip


@app.command()
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the secret key (0600; never overwritten).")],
    json: JsonOpt = False,
) -> None:
    """Make the fleet's key pair: the secret key goes to --out (keep it where `fleet status` runs), the
    public key is printed for each host's [fleet] recipient."""
    wants_json(json)
    from mailvault.actions.fleet import write_keypair

    public = write_keypair(out)
    if json:
        emit_json({"recipient": public, "identity_file": str(out)})
    else:
        stdout.print(f"secret key written to {out}; put this in each host's [fleet] recipient:\n{public}")


@app.command()
def status(
    identity: Annotated[Path | None, typer.Option("--identity", help="The fleet's secret key file.")] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="s3:http(s)://endpoint/bucket or a directory (repeatable).")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the fleet page: DIR/index.html.")] = None,
    json: JsonOpt = False,
) -> None:
    """One line per host: last backup against its RPO, last check, last drill and its RTO, repository
    size and growth, kit. Exit 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN (Nagios), for the whole fleet."""
    wants_json(json)
    from mailvault.actions.fleet import status as fleet_status

    result = fleet_status(current_config(), identity=identity, sources=source)
    if html is not None:
        from mailvault.actions.fleet import write_page

        result.html = str(write_page(result, html))
    if json:
        emit_json(result.as_dict())
        raise typer.Exit(result.level)
    stdout.print(f"FLEET {result.as_dict()['state']} - {result.hosts} hosts from {', '.join(result.sources)}")
    for r in result.rows:
        backup = f"backup {human_duration(r.backup_age_s)} ago" if r.backup_age_s is not None else "no backup"
        drill = f"drill {r.drill_verdict or '-'}" + (f" RTO {human_duration(r.rto_s)}" if r.rto_s is not None else "")
        size = human_bytes(r.repository_bytes) if r.repository_bytes is not None else "size ?"
        growth = f" ({r.growth_per_week:+.1%}/week)" if r.growth_per_week is not None else ""
        stdout.print(f"  {r.host:<24} {r.state:<7} {backup}; {drill}; {size}{growth}")
        for problem in r.problems:
            stdout.print(f"      {problem}")
        for bad in r.unreadable[:5]:
            stdout.print(f"      unreadable: {bad}")
    raise typer.Exit(result.level)


metrics_app = typer.Typer(help="The fleet's figures for Prometheus.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("serve")
def metrics_serve(
    listen: Annotated[str, typer.Option("--listen", help="Address:port to serve /metrics on.")] = "127.0.0.1:9899",
    identity: Annotated[Path | None, typer.Option("--identity", help="The fleet's secret key file.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="As for `fleet status` (repeatable).")] = None,
) -> None:
    """Serve every host's figures, labelled by host, for Prometheus (the buckets are read at most once a
    minute, however often it scrapes)."""
    from mailvault.actions.fleet import metrics_source
    from mailvault.actions.metrics_server import serve_source

    serve_source(metrics_source(current_config(), identity=identity, sources=source), listen)
