"""The drill's Markdown report holds host text (mailbox and folder names, server replies) as data:
rendered by a real CommonMark renderer, none of it becomes emphasis, a link, HTML or a heading."""

from __future__ import annotations

from markdown_it import MarkdownIt

from mailvault.drill.judge import Finding
from mailvault.drill.report import DrillReport, markdown

HOSTILE = "*alice*@example.com [INBOX](http://evil.example) <img src=x> `x`` \n# not a heading | _"


def test_findings_and_names_render_as_text_never_as_markup() -> None:
    report = DrillReport(
        run_id=7, verdict="fail", started_at="2026-11-29T07:00:12+00:00", snapshot_id="abc", snapshot_time=None,
        rpo_s=60.0, rpo_target_s=93600, largest_gap_s=None, rto_s=5.0, rto_target_s=3600, phases={},
        total_s=6.0, mailboxes=1, messages=1, bytes=1, samples=1, runtime="local", image="", image_built=False,
        findings=[Finding("fail", "verify", f"{HOSTILE}: 3 messages, the manifest says 4")],
        controls={"caught": "7/7", "where": HOSTILE},
        coverage={"share": 1, "every": 12, "cycle": 1, "share_proven": 0.1, "shares_proven": 1,
                  "oldest_unproven": {"mailbox": HOSTILE, "since": None}},
    )  # fmt: skip
    html = MarkdownIt("commonmark").render(markdown(report))
    assert "<em>" not in html and "<a " not in html and "<img" not in html, html
    assert html.count("<h1>") == 1 and "<h2>Findings</h2>" in html  # only the report's own headings
    assert html.count("&lt;img src=x&gt;") == 3  # shown, three times, as the text it is
    assert html.count("*alice*@example.com [INBOX](http://evil.example)") == 3
