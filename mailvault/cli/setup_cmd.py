"""`mailvault setup ...`: from what the host's own Dovecot and Postfix say to a config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailvault.cli.context import JsonOpt, wants_json
from mailvault.cli.output import emit_json, stdout

app = typer.Typer(help="What this mail host's Dovecot, Postfix and DKIM signer say, for the config.",
                  no_args_is_help=True)  # fmt: skip


@app.command()
def detect(
    dovecot_config: Annotated[
        Path | None, typer.Option("--dovecot-config", help="Dovecot's config (default: its own).")
    ] = None,
    postfix_config: Annotated[Path, typer.Option("--postfix-config", help="Postfix's config dir.")] = Path(
        "/etc/postfix"
    ),
    opendkim_config: Annotated[Path, typer.Option("--opendkim-config", help="opendkim.conf.")] = Path(
        "/etc/opendkim.conf"
    ),
    rspamd_config: Annotated[Path, typer.Option("--rspamd-config", help="rspamd's dkim_signing.conf.")] = Path(
        "/etc/rspamd/local.d/dkim_signing.conf"
    ),
    json: JsonOpt = False,
) -> None:
    """Show the maildir store, its layout, the config dirs, the TLS and DKIM key files this host's own
    tools name, each with how it is known. Writes nothing. Exit 1 when the store is not Maildir."""
    wants_json(json)
    from mailvault.actions.setup_detect import Where, detect

    found = detect(Where(dovecot_config, postfix_config, opendkim_config, rspamd_config))
    if json:
        emit_json({"ok": found.refused is None, **found.as_dict()})
    else:
        for item in found.items:
            stdout.print(f"  {item.what:<13} {item.value}\n  {'':<13} ({item.how})")
    raise typer.Exit(1 if found.refused else 0)
