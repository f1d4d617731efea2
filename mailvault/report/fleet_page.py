"""The fleet as one self-contained HTML page: an overview line per host, the hours since each host's
last backup against its RPO, and per host its RTO, backup and repository charts from its summaries.
Inline CSS and SVG, no script; every host text escaped; each figure with its exact value."""

from __future__ import annotations

from html import escape
from typing import Any

from mailvault.fleet.view import LEVEL_NAMES, HostRow
from mailvault.humanize import human_bytes, human_duration
from mailvault.report import charts
from mailvault.report.history import BackupPoint, DrillPoint, SizePoint
from mailvault.report.page import CSS

CLASS = {"OK": "pass", "WARN": "warn", "CRIT": "fail", "UNKNOWN": "interrupted"}


def _cell(host: str, field: str, value: Any, text: str, css: str = "") -> str:
    data = "" if value is None else f' data-value="{escape(str(value))}"'
    klass = f' class="{css}"' if css else ""
    return f'<td data-host="{escape(host)}" data-field="{field}"{data}{klass}>{escape(text)}</td>'


def _row(r: HostRow) -> str:
    growth = f" ({r.growth_per_week:+.1%}/week)" if r.growth_per_week is not None else ""
    size = human_bytes(r.repository_bytes) if r.repository_bytes is not None else "-"
    rto = human_duration(r.rto_s) if r.rto_s is not None else "-"
    cells = [
        _cell(r.host, "state", r.state, r.state, CLASS[r.state]),
        _cell(r.host, "backup_age_s", r.backup_age_s, human_duration(r.backup_age_s)),
        _cell(r.host, "rpo_target_s", r.rpo_target_s, human_duration(r.rpo_target_s)),
        _cell(r.host, "check_ok", r.check_ok, {True: "ok", False: "FAILED", None: "-"}[r.check_ok]),
        _cell(r.host, "drill_verdict", r.drill_verdict, (r.drill_verdict or "-").upper()),
        _cell(r.host, "rto_s", r.rto_s, rto),
        _cell(r.host, "repository_bytes", r.repository_bytes, size + growth),
        _cell(r.host, "kit_fresh", r.kit_fresh, {True: "current", False: "STALE", None: "-"}[r.kit_fresh]),
        f'<td class="msg">{escape("; ".join(r.problems))}</td>',
    ]
    return f"<tr><th>{escape(r.host)}</th>{''.join(cells)}</tr>"


def _points(r: HostRow) -> tuple[list[DrillPoint], list[BackupPoint], list[SizePoint]]:
    drills, backups, sizes = [], [], []
    for d in r.history:
        at, run_id = str(d.get("finished") or d.get("started") or ""), int(d.get("run_id") or 0)
        if d.get("kind") == "drill":
            x = d.get("drill") or {}
            drills.append(DrillPoint(run_id, at, str(x.get("verdict") or "fail"), x.get("rto_s"), x.get("rpo_s"),
                                     x.get("mail_flows_s"), x.get("total_s"), x.get("coverage"), None))  # fmt: skip
        elif d.get("kind") == "backup":
            x = d.get("backup") or {}
            backups.append(BackupPoint(run_id, at, str(d.get("status")), x.get("duration_s"), x.get("bytes_added"),
                                       x.get("messages")))  # fmt: skip
        if isinstance(d.get("repository_bytes"), int):
            sizes.append(SizePoint(at, d["repository_bytes"]))
    return drills, backups, sizes


def _host_charts(r: HostRow) -> str:
    drills, backups, sizes = _points(r)
    target = float(r.history[-1].get("rto_target_s") or 0) if r.history else 0.0
    made = []
    if any(d.rto_s is not None for d in drills):
        made.append((f"{r.host}:rto", charts.rto(drills, target)))
    if backups:
        made.append((f"{r.host}:backups", charts.backups(backups)))
    if sizes:
        made.append((f"{r.host}:sizes", charts.sizes(sizes)))
    figures = "".join(f'<figure data-chart="{escape(name)}">{svg}</figure>' for name, svg in made)
    figures = figures or '<p class="note">no charts: no readable summary</p>'
    return f'<h2>{escape(r.host)}</h2><div class="charts">{figures}</div>'


def _overview(rows: list[HostRow]) -> str:
    aged = [r for r in rows if r.backup_age_s is not None]
    if not aged:
        return ""
    ages = [(r.host, (r.backup_age_s or 0) / 3600, (r.rpo_target_s or 0) / 3600) for r in aged]
    return f'<figure data-chart="overview">{charts.backup_ages(ages)}</figure>'


def render(rows: list[HostRow], *, level: int, now: str, sources: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("host", "state", "last backup", "RPO", "check", "drill", "RTO",
                                               "repository", "kit", "problems"))  # fmt: skip
    state, read = LEVEL_NAMES[level], f"read {escape(now)} from {escape(', '.join(sources))}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mailvault fleet</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        f'<h1>mailvault fleet: <span class="{CLASS[state]}" data-field="fleet.state" data-value="{state}">'
        f'{state}</span></h1><p class="meta">{len(rows)} hosts, {read}</p>'
        f'<table class="fleet"><tr>{head}</tr>{"".join(_row(r) for r in rows)}</table>'
        f'<div class="charts">{_overview(rows)}</div>{"".join(_host_charts(r) for r in rows)}</body></html>\n'
    )
