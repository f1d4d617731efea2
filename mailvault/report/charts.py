"""The host report's charts: inline SVG made with pygal, no script, no external file.

pygal was chosen over matplotlib's SVG backend: it writes SVG natively and is pure Python (imported
in about 0.1 s, against matplotlib's second with numpy), which matters on a mail host that writes
the report after every backup. Its SVG carries a small inline script for tooltips; it is removed,
so the page opens anywhere (a mail attachment, an S3 console) with nothing to run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mailvault.humanize import human_duration
from mailvault.report.history import BackupPoint, DrillPoint, Gap, SizePoint

WIDTH, HEIGHT = 760, 280
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
MB = 1_000_000


def _chart(kind: str, title: str, **options: Any) -> Any:
    import pygal
    from pygal.style import Style

    style = Style(
        background="white", plot_background="white", font_family="DejaVu Sans, Arial, sans-serif",
        colors=("#1f6feb", "#d1242f", "#8250df", "#1a7f37", "#bf8700", "#57606a", "#0550ae", "#cf222e"),
    )  # fmt: skip
    chart = getattr(pygal, kind)(
        js=[], disable_xml_declaration=True, width=WIDTH, height=HEIGHT, style=style, title=title,
        x_label_rotation=30, show_minor_x_labels=False, truncate_label=-1, print_values=False,
        legend_at_bottom=True, formatter=_short, **options,
    )  # fmt: skip
    return chart


def _short(value: float | None) -> str:
    """Axis labels and values with three significant digits at most.

    >>> _short(43.6875), _short(14400.0), _short(None)
    ('43.7', '14400', '')
    """
    return "" if value is None else f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _svg(chart: Any) -> str:
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def _label(iso: str) -> str:
    """
    >>> _label("2026-12-03T07:00:12+00:00")
    '12-03 07:00'
    """
    return f"{iso[5:10]} {iso[11:16]}"


def _major(labels: Sequence[str]) -> list[str]:
    step = max(1, len(labels) // 10)
    return list(labels[::step])


def phases(latest: dict[str, float], run_id: int) -> str:
    chart = _chart("HorizontalStackedBar", f"Drill {run_id}: seconds per phase (some phases overlap)")
    chart.x_labels = [f"drill {run_id}"]
    for name, seconds in latest.items():
        chart.add(name, [round(seconds, 2)])
    return _svg(chart)


def _target(chart: Any, values: list[float | None], target: float, said: str) -> None:
    """The target as a dashed line when it fits the values' scale; far above them, named in the title
    instead (a line at 4 h would flatten 30 s drills into the axis)."""
    top = max((v for v in values if v is not None), default=0.0)
    if target <= 3 * top:
        chart.add("target", [target] * len(values), show_dots=False, stroke_style={"dasharray": "6,4"})
    else:
        chart.title = f"{chart.config.title} (target {said}, far above)"


def rto(drills: list[DrillPoint], target_s: float) -> str:
    chart = _chart("Line", "RTO per drill, seconds")
    labels = [_label(d.started) for d in drills]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    rtos, flows = [d.rto_s for d in drills], [d.mail_flows_s for d in drills]
    chart.add("RTO: the largest mailbox served", rtos)
    chart.add("mail flows again (the canary)", flows)
    _target(chart, [max((v for v in pair if v is not None), default=None) for pair in zip(rtos, flows, strict=True)],
            target_s, human_duration(target_s))  # fmt: skip
    return _svg(chart)


def rpo(drills: list[DrillPoint], target_s: float) -> str:
    chart = _chart("Line", "RPO per drill, hours")
    labels = [_label(d.started) for d in drills]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    hours = [None if d.rpo_s is None else round(d.rpo_s / 3600, 2) for d in drills]
    chart.add("RPO: the restored snapshot's age", hours)
    _target(chart, hours, round(target_s / 3600, 2), human_duration(target_s))
    return _svg(chart)


def coverage(drills: list[DrillPoint]) -> str:
    chart = _chart("Line", "Coverage: % of the messages read back in the current cycle", range=(0, 100))
    labels = [_label(d.started) for d in drills]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    chart.add("proven", [None if d.coverage is None else round(d.coverage * 100, 1) for d in drills])
    return _svg(chart)


def backups(points: list[BackupPoint]) -> str:
    chart = _chart("Line", "Backups: duration, seconds")
    labels = [_label(b.started) for b in points]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    chart.add("duration", [b.duration_s for b in points])
    return _svg(chart)


def added(points: list[BackupPoint]) -> str:
    chart = _chart("Bar", "Backups: data added to the repository, MB")
    labels = [_label(b.started) for b in points]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    chart.add("added", [None if b.bytes_added is None else round(b.bytes_added / MB, 2) for b in points])
    return _svg(chart)


def sizes(points: list[SizePoint]) -> str:
    chart = _chart("Line", "Repository size, MB (stored, after each backup, prune and check)")
    labels = [_label(p.at) for p in points]
    chart.x_labels, chart.x_labels_major = labels, _major(labels)
    chart.add("stored, MB", [round(p.bytes / MB, 2) for p in points])
    return _svg(chart)


def gaps(found: list[Gap]) -> str:
    chart = _chart("HorizontalBar", "Largest gaps between successful backups, hours")
    chart.x_labels = [f"after {_label(g.after)}" + ("" if g.before else " (open)") for g in found]
    chart.add("hours", [round(g.seconds / 3600, 2) for g in found])
    return _svg(chart)


def backup_ages(ages: list[tuple[str, float, float]]) -> str:
    """The fleet overview: (host, hours since its last backup, its RPO target in hours) per host."""
    chart = _chart("HorizontalBar", "Hours since each host's last backup, beside its RPO target")
    chart.x_labels = [host for host, _, _ in ages]
    chart.add("since the last backup", [round(age, 2) for _, age, _ in ages])
    chart.add("RPO target", [round(rpo, 2) for _, _, rpo in ages])
    return _svg(chart)
