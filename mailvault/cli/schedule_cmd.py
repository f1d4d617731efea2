"""`mailvault schedule ...`: timers, cron, the daemon, and one job run as the scheduler runs it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import GLOBALS, DryRunOpt, JsonOpt, current_config, wants_json
from mailvault.cli.output import emit_json, stdout, table, use_timestamps
from mailvault.config.jobs import JOBS
from mailvault.config.where import config_path
from mailvault.errors import MailvaultError

app = typer.Typer(help="When the jobs run: systemd timers, cron, or the built-in daemon.", no_args_is_help=True)

CronOpt = Annotated[bool, typer.Option("--cron", help="A cron file instead of systemd timers.")]
UnitDirOpt = Annotated[Path, typer.Option("--unit-dir", help="Where the systemd units go.")]
CronFileOpt = Annotated[Path, typer.Option("--cron-file", help="Where the cron file goes.")]


def _kind(cron: bool, systemd: bool) -> str:
    if cron and systemd:
        raise MailvaultError("--cron and --systemd exclude each other", hint="pick one")
    return "cron" if cron else "systemd"


@app.command()
def install(
    systemd: Annotated[bool, typer.Option("--systemd", help="systemd service and timer units (the default).")] = False,
    cron: CronOpt = False,
    unit_dir: UnitDirOpt = Path("/etc/systemd/system"),
    cron_file: CronFileOpt = Path("/etc/cron.d/mailvault"),
    no_enable: Annotated[
        bool, typer.Option("--no-enable", help="Only write the units; do not enable the timers.")
    ] = False,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
) -> None:
    """Render the jobs from the config and install them (checked with systemd-analyze verify first)."""
    wants_json(json)
    from mailvault.actions.schedule import install as install_action

    config = current_config()
    result = install_action(
        config, config_path(GLOBALS.config), kind=_kind(cron, systemd),  # type: ignore[arg-type]
        unit_dir=unit_dir, cron_path=cron_file, enable=not no_enable, dry_run=dry_run,
    )  # fmt: skip
    if json:
        emit_json(result.as_dict())
        return
    if dry_run:
        for name, text in result.files.items():
            stdout.print(f"# --- {name}")
            stdout.print(text)
    verb = "would write" if dry_run else "wrote"
    for path in result.written:
        print(f"{verb} {path}")
    for path in result.removed:
        print(f"{'would remove' if dry_run else 'removed'} {path}")
    for command in result.commands:
        print(f"{'would run' if dry_run else 'ran'}: {command}")


@app.command()
def uninstall(
    systemd: Annotated[bool, typer.Option("--systemd", help="Remove the systemd units (the default).")] = False,
    cron: CronOpt = False,
    unit_dir: UnitDirOpt = Path("/etc/systemd/system"),
    cron_file: CronFileOpt = Path("/etc/cron.d/mailvault"),
    json: JsonOpt = False,
) -> None:
    """Disable and remove what `schedule install` wrote (only files it wrote)."""
    wants_json(json)
    from mailvault.actions.schedule import uninstall as uninstall_action

    result = uninstall_action(current_config(), kind=_kind(cron, systemd), unit_dir=unit_dir, cron_path=cron_file)  # type: ignore[arg-type]
    if json:
        emit_json(result.as_dict())
        return
    for path in result.removed:
        print(f"removed {path}")
    if not result.removed:
        print("nothing of mailvault's was installed there")


@app.command("list")
def list_jobs(json: JsonOpt = False) -> None:
    """Each job with its schedule and next run time, and where the schedule is installed."""
    wants_json(json)
    from mailvault.actions.schedule import listing

    rows, where = listing(current_config())
    if json:
        emit_json({"jobs": [r.__dict__ for r in rows], **where})
        return

    def local(when: str | None) -> str:
        return datetime.fromisoformat(when).astimezone().strftime("%a %Y-%m-%d %H:%M %Z") if when else "-"

    table("schedule", ["job", "cron", "next run", "jitter", "timeout"], [
        [r.job, r.cron if r.enabled else f"{r.cron} (disabled)", local(r.next_run), r.jitter, r.timeout] for r in rows
    ])  # fmt: skip
    installed = [f"systemd ({len(where['systemd_units'])} units)"] if where["systemd_units"] else []
    installed += ["cron (" + where["cron_file"] + ")"] if where["cron_file"] else []
    installed += [f"daemon ({where['daemon']})"] if where["daemon"] else []
    print("runs from: " + (", ".join(installed) or "nothing yet: `mailvault schedule install` or `schedule run`"))


@app.command()
def run() -> None:
    """The scheduler daemon (for hosts and containers without systemd); SIGTERM stops it cleanly."""
    from mailvault.schedule.daemon import run_daemon

    use_timestamps()
    run_daemon(current_config(), config_path(GLOBALS.config))


@app.command()
def job(
    name: Annotated[
        str, typer.Argument(help="backup, prune, check, restore-test, restore-test-oldest, watch or migrate-sync.")
    ],
    no_jitter: Annotated[bool, typer.Option("--no-jitter", help="Start now (systemd adds its own delay).")] = False,
    json: JsonOpt = False,
) -> None:
    """Run one job as the scheduler does: jitter, timeout, and an alert if it dies without saying why."""
    wants_json(json)
    if name not in JOBS:
        raise MailvaultError(f"there is no job {name!r}", hint="use one of " + ", ".join(JOBS))
    from mailvault.schedule.runner import run_job

    outcome = run_job(current_config(), config_path(GLOBALS.config), name, jitter=not no_jitter)
    if json:
        emit_json(outcome.__dict__)
    raise typer.Exit(0 if outcome.status == "ok" else 1)
