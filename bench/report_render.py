"""How long headless Chromium takes to render `mailvault report` of a long history (30 drills and 60
backups, generated), against the same Chromium loading a blank page: the difference is the
report's own rendering, the rest is Chromium starting. Alternating, median of --rounds.

    .venv/bin/python bench/report_render.py --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailvault.report.page import render
from tests.browser import open_page
from tests.report_history import generated_report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--drills", type=int, default=30)
    parser.add_argument("--backups", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        page = render(generated_report(drills=args.drills, backups=args.backups))
        took_render = time.perf_counter() - began
        report, blank = Path(tmp) / "report.html", Path(tmp) / "blank.html"
        report.write_text(page)
        blank.write_text("<!doctype html><html><body></body></html>")
        open_page(blank)  # (a first start fills the page cache with Chromium itself)
        times: dict[str, list[float]] = {"blank": [], "report": []}
        for _ in range(args.rounds):
            for name, path in (("blank", blank), ("report", report)):
                loaded = open_page(path)
                assert not loaded.console, loaded.console
                times[name].append(loaded.seconds)
    blank_s, report_s = statistics.median(times["blank"]), statistics.median(times["report"])
    print(f"page: {len(page):,} bytes, written by mailvault in {took_render:.2f} s (pygal import included)")
    print(f"chromium, blank page   median {blank_s:.2f} s  ({', '.join(f'{t:.2f}' for t in times['blank'])})")
    print(f"chromium, report page  median {report_s:.2f} s  ({', '.join(f'{t:.2f}' for t in times['report'])})")
    print(
        f"the report's own rendering: {report_s - blank_s:.2f} s; ratio {report_s / blank_s:.2f} against a blank page"
    )


if __name__ == "__main__":
    main()
