"""`mailvault restore-test` (the drill) and `mailvault drill ...` (its image)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailvault.cli.context import JsonOpt, KitOpt, KitPassphraseOpt, current_config, use_kit, wants_json
from mailvault.cli.output import emit_json, say, stdout

app = typer.Typer(help="The restore drill's container image.", no_args_is_help=True)


def restore_test(
    snapshot: Annotated[
        str,
        typer.Option(
            "--snapshot",
            help="latest, a snapshot id, random-within=30d, or oldest-kept (the oldest snapshot retention keeps).",
        ),
    ] = "latest",
    runtime: Annotated[
        str | None, typer.Option("--runtime", help="docker, podman or local (default: drill.runtime).")
    ] = None,
    keep_on_failure: Annotated[
        float | None, typer.Option("--keep-on-failure", help="Hours to keep a failed drill's container.")
    ] = None,
    json: JsonOpt = False,
    kit: KitOpt = None,
    kit_passphrase_file: KitPassphraseOpt = None,
) -> None:
    """Restore a snapshot into a throwaway container, serve it with Dovecot, check it over IMAP against
    the manifest, and judge RTO and RPO. Exit 0 pass, 1 fail, 2 warn."""
    wants_json(json)
    use_kit(kit, kit_passphrase_file)
    from mailvault.actions.drill import restore_test as drill
    from mailvault.drill.judge import exit_code
    from mailvault.drill.report import markdown

    report = drill(
        current_config(),
        snapshot=snapshot,
        runtime=runtime,
        keep_on_failure_hours=keep_on_failure,
        say=say,
    )
    if json:
        emit_json({"ok": report.verdict != "fail", **report.as_dict()})
    else:
        stdout.print(markdown(report))
        stdout.print(f"report: {report.paths.get('markdown', '-')}")
    raise typer.Exit(exit_code(report.verdict))


@app.command("build-image")
def build_image(
    runtime: Annotated[str, typer.Option("--runtime", help="docker or podman.")] = "auto",
    json: JsonOpt = False,
) -> None:
    """Build the restore-target image (offline, from this machine's apt sources) unless it exists."""
    wants_json(json)
    from mailvault.drill import image
    from mailvault.drill.sandbox import pick_cli, require_daemon

    cli = pick_cli(runtime)
    require_daemon(cli)
    tag, built = image.ensure(cli)
    if json:
        emit_json({"ok": True, "image": tag, "built": built})
    else:
        stdout.print(f"{'built' if built else 'already there'}: {tag}")
