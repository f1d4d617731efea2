"""The host report as one self-contained HTML page: inline CSS and SVG, no script, no font or file
from anywhere else. Every text that comes from the host (findings, names, messages) is escaped.

Each figure on the page carries its exact value (``data-field``, ``data-value``) so that a test
can hold the page against the JSON."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from mailvault.humanize import human_bytes, human_duration
from mailvault.report import charts
from mailvault.report.history import HostReport

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1600px;color:#1f2328;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d0d7de}
.meta{color:#57606a}table{border-collapse:collapse;margin:.5em 0}th,td{text-align:left;padding:.3em .8em;
border-bottom:1px solid #eaeef2;vertical-align:top}th{color:#57606a;font-weight:normal}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;width:760px;max-width:100%}
figure svg{width:100%;height:auto}.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#d1242f}
.interrupted{color:#57606a}td.msg{max-width:70em;overflow-wrap:anywhere}.note{color:#57606a;font-style:italic}
"""


def _fact(field: str, label: str, value: float | str | None, text: str, css: str = "") -> str:
    data = "" if value is None else f' data-value="{escape(str(value))}"'
    klass = f' class="{css}"' if css else ""
    return f'<tr><th>{escape(label)}</th><td data-field="{field}"{data}{klass}>{escape(text)}</td></tr>'


def _facts(r: HostReport) -> str:
    rows = _drill_facts(r)
    ok = [b for b in r.backups if b.status == "ok"]
    if ok:
        b = ok[-1]
        count = f"{b.messages:,}" if b.messages is not None else "-"
        rows += [
            _fact("backup.started", "last backup", b.started, f"{b.started}, {human_duration(b.duration_s)}"),
            _fact("backup.bytes_added", "data it added", b.bytes_added, human_bytes(b.bytes_added)),
            _fact("backup.messages", "messages in it", b.messages, count),
        ]
    if r.sizes:
        size = r.sizes[-1].bytes
        rows.append(_fact("repository.bytes", "repository", size, f"{human_bytes(size)} stored"))
    if r.coverage:
        c = r.coverage
        oldest = c.get("oldest_unproven")
        text = f"{round(c['share_proven'] * 100)} % of the messages read back in cycle {c['cycle']}"
        text += f"; oldest unproven mailbox {oldest['mailbox']} ({oldest['since'] or 'never'})" if oldest else ""
        rows.append(_fact("coverage.share_proven", "coverage", c["share_proven"], text))
    return '<table class="facts">' + "".join(rows) + "</table>"


def _drill_facts(r: HostReport) -> list[str]:
    if not r.drills:
        return [_fact("drill.verdict", "last drill", None, "no restore drill yet")]
    d = r.drills[-1]
    rto = f"{human_duration(d.rto_s)} (target {human_duration(r.rto_target_s)})"
    rpo = f"{human_duration(d.rpo_s)} (target {human_duration(r.rpo_target_s)})"
    return [
        _fact(
            "drill.verdict", "last drill", d.verdict, f"{d.verdict.upper()} (run {d.run_id}, {d.started})", d.verdict
        ),
        _fact("drill.rto_s", "RTO", d.rto_s, rto),
        _fact("drill.mail_flows_s", "mail flows again", d.mail_flows_s, human_duration(d.mail_flows_s)),
        _fact("drill.rpo_s", "RPO", d.rpo_s, rpo),
    ]


def _figure(name: str, make: Callable[[], str], has_data: bool, empty: str) -> str:
    if not has_data:
        return f'<p class="note" data-empty="{name}">{escape(empty)}</p>'
    return f'<figure data-chart="{name}">{make()}</figure>'


def _findings(r: HostReport) -> str:
    if not r.latest_findings:
        return '<p class="note">no findings</p>'
    rows = "".join(
        f'<tr><td class="{escape(f["level"])}">{escape(f["level"].upper())}</td><td>{escape(f["phase"])}</td>'
        f'<td class="msg">{escape(f["message"])}</td></tr>'
        for f in r.latest_findings
    )
    return f'<table class="findings"><tr><th>level</th><th>phase</th><th>finding</th></tr>{rows}</table>'


def render(r: HostReport) -> str:
    d = r.drills
    figures = [
        _figure("phases", lambda: charts.phases(r.latest_phases, d[-1].run_id), bool(d and r.latest_phases),
                "no drill yet"),
        _figure("rto", lambda: charts.rto(d, r.rto_target_s), any(x.rto_s is not None for x in d),
                "no drill measured an RTO yet"),
        _figure("rpo", lambda: charts.rpo(d, r.rpo_target_s), any(x.rpo_s is not None for x in d),
                "no drill measured an RPO yet"),
        _figure("coverage", lambda: charts.coverage(d), any(x.coverage is not None for x in d),
                "no drill read back a coverage share yet"),
        _figure("backups", lambda: charts.backups(r.backups), bool(r.backups), "no backup yet"),
        _figure("added", lambda: charts.added(r.backups), bool(r.backups), "no backup yet"),
        _figure("sizes", lambda: charts.sizes(r.sizes), bool(r.sizes), "the repository's size was not measured yet"),
        _figure("gaps", lambda: charts.gaps(r.gaps), bool(r.gaps), "no successful backup yet"),
    ]  # fmt: skip
    host = escape(r.host)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mailvault: {host}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        f'<h1>mailvault: {host}</h1><p class="meta">generated {escape(r.generated)}; {len(d)} drills and'
        f" {len(r.backups)} backups in the history</p>"
        f"<h2>Now</h2>{_facts(r)}"
        f'<h2>Over time</h2><div class="charts">{"".join(figures)}</div>'
        f"<h2>Findings of the latest drill</h2>{_findings(r)}"
        "</body></html>\n"
    )
