"""User and server text (folder names, paths, server replies, config keys) is printed as text:
rich never reads it as markup, in tables, key-value lists or progress bars."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.progress import Progress

from mailvault.cli import output
from mailvault.cli.progress import task_columns


def _rendered(monkeypatch: object, draw: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=400, markup=False, highlight=False, color_system=None)
    monkeypatch.setattr(output, "stdout", console)  # type: ignore[attr-defined]
    draw()  # type: ignore[operator]
    return buffer.getvalue()


def test_the_consoles_read_no_markup() -> None:
    for console in (output.stdout, output.stderr):
        buffer = io.StringIO()
        console.begin_capture()
        console.print("set [repository.s3.prune] and [bold]Kunden[/bold] [alt]")
        assert console.end_capture().strip() == "set [repository.s3.prune] and [bold]Kunden[/bold] [alt]"
        del buffer


def test_a_table_shows_a_folder_named_with_brackets(monkeypatch: object) -> None:
    text = _rendered(monkeypatch, lambda: output.table("[x] folders", ["folder"], [["Kunden [alt]"], ["[/]"]]))
    assert "Kunden [alt]" in text and "[/]" in text and "[x] folders" in text


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40))
def test_any_text_in_a_key_value_list_is_printed_as_it_is(value: str) -> None:
    buffer = io.StringIO()
    original = output.stdout
    output.stdout = Console(file=buffer, width=1000, markup=False, highlight=False, color_system=None)
    try:
        output.key_values(f"[{value}]", [("folder", value)])
    finally:
        output.stdout = original
    lines = buffer.getvalue().splitlines()
    assert lines[0] == f"[{value}]".rstrip() or lines[0].rstrip() == f"[{value}]".rstrip()
    assert lines[1].rstrip() == f"  folder  {value}".rstrip()


def test_a_progress_bar_shows_a_task_named_with_brackets() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=False, color_system=None)
    with Progress(*task_columns("messages"), console=console, auto_refresh=False) as bar:
        bar.add_task("Kunden [alt]/[bold]x", total=3, bytes="1 KiB", rate="2/s")
        bar.refresh()
    assert "Kunden [alt]/[bold]x" in buffer.getvalue()
