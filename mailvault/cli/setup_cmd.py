"""`mailvault setup`: from what the host's own Dovecot and Postfix say to a config, the first
backup, a passing drill and the recovery kit; `setup --check` for drift; `setup detect` to look."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mailvault.cli.context import GLOBALS, JsonOpt, wants_json
from mailvault.cli.output import emit_json, say, stdout
from mailvault.config.where import config_path

if TYPE_CHECKING:
    from mailvault.actions.setup_config import Ask, Given
    from mailvault.actions.setup_detect import Detected, Where
    from mailvault.setup.host import HostView

app = typer.Typer(help="Set mailvault up from what this mail host's Dovecot, Postfix and DKIM signer say.")

DovecotOpt = Annotated[Path | None, typer.Option("--dovecot-config", help="Dovecot's config (default: its own).")]
PostfixOpt = Annotated[Path, typer.Option("--postfix-config", help="Postfix's config dir.")]
OpendkimOpt = Annotated[Path, typer.Option("--opendkim-config", help="opendkim.conf.")]
RspamdOpt = Annotated[Path, typer.Option("--rspamd-config", help="rspamd's dkim_signing.conf.")]
POSTFIX, OPENDKIM, RSPAMD = (
    Path("/etc/postfix"),
    Path("/etc/opendkim.conf"),
    Path("/etc/rspamd/local.d/dkim_signing.conf"),
)


def _where(dovecot: Path | None, postfix: Path, opendkim: Path, rspamd: Path) -> Where:
    from mailvault.actions.setup_detect import Where

    return Where(dovecot, postfix, opendkim, rspamd)


@app.callback(invoke_without_command=True)
def setup(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Ask nothing: what is not detected comes from flags.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Only report drift from the config; exit 1 on drift.")] = False,
    update: Annotated[bool, typer.Option("--update", help="Take drift into the config's [sources].")] = False,
    repository: Annotated[str | None, typer.Option(help="s3:https://host/bucket/path, or a directory.")] = None,
    s3_access_key_file: Annotated[Path | None, typer.Option(help="File with the S3 access key id.")] = None,
    s3_secret_key_file: Annotated[Path | None, typer.Option(help="File with the S3 secret key.")] = None,
    password_file: Annotated[Path | None, typer.Option(help="The repository password (default: generated).")] = None,
    kit_passphrase_file: Annotated[Path | None, typer.Option(help="File with the kit passphrase.")] = None,
    kit_out: Annotated[
        Path | None, typer.Option(help="Where the recovery kit goes (default: beside the config).")
    ] = None,
    state_dir: Annotated[Path, typer.Option(help="mailvault's state dir.")] = Path("/var/lib/mailvault"),
    store: Annotated[str | None, typer.Option(help="pattern or dovecot, when the detections disagree.")] = None,
    maildir_root: Annotated[Path | None, typer.Option(help="The maildir root, when not detected.")] = None,
    layout: Annotated[str | None, typer.Option(help="Its layout, with --maildir-root (%d/%n/Maildir).")] = None,
    runtime: Annotated[str, typer.Option(help="Where drills restore: auto, docker, podman, local.")] = "auto",
    schedule: Annotated[str | None, typer.Option(help="Then install the schedule: systemd, cron or none.")] = None,
    dovecot_config: DovecotOpt = None,
    postfix_config: PostfixOpt = POSTFIX,
    opendkim_config: OpendkimOpt = OPENDKIM,
    rspamd_config: RspamdOpt = RSPAMD,
    json: JsonOpt = False,
) -> None:
    """Detect the store, config dirs, TLS and DKIM keys; write the config (0600, each value saying
    where it came from); then init, the first backup, the first drill and the recovery kit. Run again,
    it changes nothing unless asked and continues where a stopped setup left off."""
    if ctx.invoked_subcommand is not None:
        return
    wants_json(json)
    _refuse_bad_flags(schedule, runtime, check=check, update=update)
    from mailvault.actions import setup_config
    from mailvault.actions.setup_detect import detect
    from mailvault.cli.setup_ask import FlagsOnly, Terminal

    ask = Terminal() if not (yes or json or check) and sys.stdin.isatty() else FlagsOnly()
    path = config_path(GLOBALS.config)
    given = setup_config.Given(
        path,
        state_dir,
        repository,
        s3_access_key_file,
        s3_secret_key_file,
        password_file,
        store,
        maildir_root,
        layout,
        runtime,
        update,
    )
    found = detect(_where(dovecot_config, postfix_config, opendkim_config, rspamd_config))
    if not json:
        _show(found)
    view = found.host(setup_config.settle_store(found, given, ask))
    setup_config.check_paths(view, found.files)
    if check:
        _check(given, view, json)
    _setup(given, view, ask, kit_out or path.parent / "recovery-kit.bin", kit_passphrase_file, schedule, json)


def _refuse_bad_flags(schedule: str | None, runtime: str, *, check: bool, update: bool) -> None:
    """Before anything runs: a wrong value found after the drill would waste the whole setup. The
    choices are the schedule installer's and the config's own."""
    from typing import get_args

    from mailvault.actions.schedule import Kind
    from mailvault.config.schema import Runtime
    from mailvault.humanize import one_of

    if schedule not in (None, *get_args(Kind), "none"):
        raise typer.BadParameter(one_of([*get_args(Kind), "none"]), param_hint="--schedule")
    if runtime not in get_args(Runtime):
        raise typer.BadParameter(one_of(get_args(Runtime)), param_hint="--runtime")
    if check and update:
        raise typer.BadParameter("--check only reports; run `mailvault setup --update` to take the drift in")


def _show(found: Detected) -> None:
    stdout.print("What this host says:")
    for item in found.items:
        stdout.print(f"  {item.what:<13} {item.value}\n  {'':<13} ({item.how})")


def _check(given: Given, view: HostView, json: bool) -> None:
    from mailvault.actions import setup_config
    from mailvault.cli.setup_ask import FlagsOnly
    from mailvault.errors import ConfigError

    if not given.config_path.exists():
        raise ConfigError(f"{given.config_path} does not exist", hint="run `mailvault setup` first")
    outcome = setup_config.revisit(view, replace(given, update=False), FlagsOnly())
    if json:
        emit_json({"ok": not outcome.drift, **outcome.as_dict()})
    else:
        for drift in outcome.drift:
            stdout.print(f"drift: {drift.kind}: {drift.what}\n       {drift.fix}")
        stdout.print(f"{len(outcome.drift)} changes on the host since setup" if outcome.drift else "no drift")
    raise typer.Exit(1 if outcome.drift else 0)


def _setup(
    given: Given,
    view: HostView,
    ask: Ask,
    kit_out: Path,
    passphrase_file: Path | None,
    schedule: str | None,
    json: bool,
) -> None:
    from mailvault.actions import setup_config, setup_steps
    from mailvault.cli.passphrase import read_passphrase
    from mailvault.cli.setup_ask import FlagsOnly
    from mailvault.errors import SecretError

    exists = given.config_path.exists()
    outcome = setup_config.revisit(view, given, ask) if exists else None
    new = None if exists else setup_config.ask_new(given, ask)
    passphrase = None
    if not kit_out.exists():  # asked before anything is written: a refusal leaves nothing behind
        if passphrase_file is None and isinstance(ask, FlagsOnly):
            raise SecretError(
                "setup needs --kit-passphrase-file: the recovery kit's passphrase",
                hint="pass --kit-passphrase-file FILE (mode 0600), or run setup on a terminal",
            )
        passphrase = read_passphrase(passphrase_file, confirm=True)
    if new is not None:
        outcome = setup_config.write_config(view, given, new)
    assert outcome is not None
    if not json:
        stdout.print(f"config {outcome.path}: {outcome.written}")
        for drift in outcome.drift:
            stdout.print(f"  drift: {drift.kind}: {drift.what}")
    steps = setup_steps.run_steps(given.config_path, kit_out, passphrase, say)
    scheduled = _schedule(given.config_path, schedule, ask)
    if json:
        emit_json({"ok": True, **outcome.as_dict(), "steps": [s.as_dict() for s in steps], "schedule": scheduled})
        return
    for step in steps:
        took = f" ({step.seconds:.0f} s)" if step.state == "done" else ""
        stdout.print(f"  {step.name:<13} {step.state}: {step.detail}{took}")
    stdout.print(f"schedule: {scheduled}")


def _schedule(path: Path, kind: str | None, ask: Ask) -> str:
    """Install the schedule when asked (``--schedule``, or yes on a terminal); else say how."""
    if kind is None and ask.confirm("Install the nightly schedule now (systemd timers)?", "--schedule"):
        kind = "systemd"
    if kind in (None, "none"):
        return "not installed; when ready: mailvault schedule install"
    from mailvault.actions.schedule import install
    from mailvault.config.load import load_config

    result = install(load_config(path), path, kind="cron" if kind == "cron" else "systemd")
    return f"{kind}: {len(result.files)} files installed"


@app.command()
def detect(
    dovecot_config: DovecotOpt = None,
    postfix_config: PostfixOpt = POSTFIX,
    opendkim_config: OpendkimOpt = OPENDKIM,
    rspamd_config: RspamdOpt = RSPAMD,
    json: JsonOpt = False,
) -> None:
    """Show the maildir store, its layout, the config dirs, the TLS and DKIM key files this host's own
    tools name, each with how it is known. Writes nothing. Exit 1 when the store is not Maildir."""
    wants_json(json)
    from mailvault.actions.setup_detect import detect as detect_action

    found = detect_action(_where(dovecot_config, postfix_config, opendkim_config, rspamd_config))
    if json:
        emit_json({"ok": found.refused is None, **found.as_dict()})
    else:
        _show(found)
    raise typer.Exit(1 if found.refused else 0)
