"""`mailvault demo`: the whole backup flow on the embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    workdir: Annotated[Path | None, typer.Option(help="Scratch directory (emptied first).")] = None,
) -> None:
    """Start an embedded S3, generate a mail store, then init, back up twice, list snapshots and check."""
    from mailvault.cli.edge import guarded
    from mailvault.cli.main import register

    app = register()  # the demo runs every kind of command in this process
    from mailvault.cli.output import say
    from mailvault.demo.flow import default_workdir, run_demo

    def runner(args: list[str]) -> int:
        return guarded(lambda: app(args))

    code = run_demo(workdir or default_workdir(), runner, say)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(demo)
