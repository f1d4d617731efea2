"""The drill report: one record, as JSON for machines and Markdown for people. Pure, plus writing it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mailvault import execute
from mailvault.drill.judge import Finding, Level
from mailvault.humanize import human_bytes, human_duration
from mailvault.state.paths import write_atomic

PHASES = ("snapshot", "container", "restore", "lint", "serve", "verify", "controls", "canary")


@dataclass
class DrillReport:
    run_id: int
    verdict: Level
    started_at: str
    snapshot_id: str | None
    snapshot_time: str | None
    rpo_s: float | None
    rpo_target_s: float
    largest_gap_s: float | None
    rto_s: float | None
    rto_target_s: float
    phases: dict[str, float]
    total_s: float
    mailboxes: int
    messages: int
    bytes: int
    samples: int
    runtime: str
    image: str
    image_built: bool
    findings: list[Finding]
    paths: dict[str, str] = field(default_factory=dict)
    upload: dict[str, str] = field(default_factory=dict)  # "json"/"markdown" -> where stored beside the backups
    controls: dict[str, Any] = field(default_factory=dict)  # the negative controls (drill.controls): see summary
    repository_bytes_read: int | None = None  # the snapshot's blobs as stored: the restore's download
    canary: dict[str, Any] = field(default_factory=dict)  # the mail-flow canary; arrived_s is the second RTO
    coverage: dict[str, Any] = field(default_factory=dict)  # the coverage over time: drill.coverage summary()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = [asdict(f) for f in self.findings]
        return data

    def summary(self) -> dict[str, Any]:
        """What the run history keeps of a drill."""
        return {k: v for k, v in self.as_dict().items() if k not in ("findings", "paths")} | {
            "failures": [f.message for f in self.findings if f.level == "fail"],
            "warnings": [f.message for f in self.findings if f.level == "warn"],
        }


def as_code(text: str) -> str:
    """Host text (a mailbox or folder name, a server's reply) as a Markdown code span: read as data,
    never as emphasis, links or HTML, whatever it holds; line breaks become spaces.

    >>> as_code("*x* [y](http://z) <b>")
    '` *x* [y](http://z) <b> `'
    >>> as_code("a`b``c")
    '``` a`b``c ```'
    """
    flat = text.replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    return f"{fence} {flat} {fence}"  # (one space each side: CommonMark strips exactly those)


def markdown(report: DrillReport) -> str:
    """The report for people: verdict, RTO/RPO, phases, then every finding (its text as data)."""
    mark = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
    lines = [
        f"# Restore drill {report.run_id}: {mark[report.verdict]}",
        "",
        f"- started: {report.started_at}",
        f"- snapshot: {report.snapshot_id or '-'} ({report.snapshot_time or '-'})",
        f"- RTO: {human_duration(report.rto_s)} (target {human_duration(report.rto_target_s)})",
        *(
            [f"- mail flows again (the canary read back): {human_duration(report.canary.get('arrived_s'))}"]
            if report.canary
            else []
        ),
        f"- RPO: {human_duration(report.rpo_s)} (target {human_duration(report.rpo_target_s)});"
        f" largest gap between snapshots in 30 days: {human_duration(report.largest_gap_s)}",
        f"- restored: {report.mailboxes} mailboxes, {report.messages} messages, {report.bytes} bytes;"
        f" {report.samples} sampled messages hashed over IMAP",
        *(
            [
                f"- read from the repository: {human_bytes(report.repository_bytes_read)} (the snapshot's"
                " data as stored, by restic stats; the index aside)"
            ]
            if report.repository_bytes_read is not None
            else []
        ),
        *(
            [
                f"- verifier sensitivity: {report.controls['caught']} damages caught (copies of"
                f" {as_code(report.controls['where'])})"
            ]
            if report.controls
            else []
        ),
        *([coverage_line(report.coverage)] if report.coverage else []),
        f"- runtime: {report.runtime or '-'}, image {report.image or '-'}"
        + (" (built for this drill)" if report.image_built else ""),
        *([f"- stored beside the backups: {report.upload['json']} (and .md)"] if report.upload else []),
        "",
        "| phase | seconds |",
        "|---|---|",
        *(f"| {name} | {report.phases[name]:.2f} |" for name in PHASES if name in report.phases),
        f"| total | {report.total_s:.2f} |",
        "",
        "## Findings",
        "",
        *(f"- **{f.level.upper()}** ({f.phase}) {as_code(f.message)}" for f in report.findings),
        "",
    ]
    return "\n".join(lines)


def coverage_line(coverage: dict[str, Any]) -> str:
    """The coverage over time, for people.

    >>> coverage_line({"share": 3, "every": 12, "cycle": 2, "share_proven": 0.25, "shares_proven": 3,
    ...                "oldest_unproven": {"mailbox": "b@x.org", "since": None}})
    ... # doctest: +NORMALIZE_WHITESPACE
    '- coverage: share 3 of 12 read back; cycle 2: 25 % of the messages proven (3 of 12 shares);
    oldest unproven mailbox ` b@x.org ` (never)'
    """
    oldest = coverage.get("oldest_unproven")
    waiting = f"; oldest unproven mailbox {as_code(oldest['mailbox'])} ({oldest['since'] or 'never'})" if oldest else ""
    return (
        f"- coverage: share {coverage['share']} of {coverage['every']} read back; cycle {coverage['cycle']}:"
        f" {round(coverage['share_proven'] * 100)} % of the messages proven ({coverage['shares_proven']} of"
        f" {coverage['every']} shares){waiting}"
    )


def render(report: DrillReport) -> dict[str, str]:
    """The report's files: ``{"json": ..., "markdown": ...}``, every registered secret masked (findings
    quote command output, which is masked as everything echoed is)."""
    return {
        "json": execute.mask(json.dumps(report.as_dict(), indent=2)) + "\n",
        "markdown": execute.mask(markdown(report)),
    }


def write_reports(directory: Path, report: DrillReport) -> dict[str, str]:
    """Write ``drill-<run>.json`` and ``drill-<run>.md``; return their paths."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    json_path, md_path = directory / f"drill-{report.run_id}.json", directory / f"drill-{report.run_id}.md"
    texts = render(report)
    write_atomic(json_path, texts["json"])
    write_atomic(md_path, texts["markdown"])
    return {"json": str(json_path), "markdown": str(md_path)}
