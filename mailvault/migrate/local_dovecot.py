"""The Dovecot on this host, as `--engine doveadm` needs it: doveadm present, its config readable,
the [destination] endpoint served by it, the destination user known to its userdb."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mailvault import execute, netprobe
from mailvault.errors import DoveadmError, ToolError
from mailvault.imap.endpoint import Endpoint
from mailvault.migrate.accounts import Options
from mailvault.tools.doveadm import LocalConfig, config_argv, parse_config, user_argv


@dataclass(frozen=True)
class LocalDovecot:
    binary: str
    config: Path
    settings: LocalConfig


def inspect(options: Options) -> LocalDovecot:
    """Read what the engine needs from ``options.doveadm_config``; DoveadmError when doveadm is
    missing or cannot read the config."""
    config, binary = options.doveadm_config, options.doveadm
    if not config.is_file() or not os.access(config, os.R_OK):
        raise DoveadmError(
            f"the Dovecot config {config} cannot be read",
            hint="set doveadm_config under [options] in the accounts file to this host's dovecot.conf",
        )
    try:
        done = execute.run(config_argv(binary, config), check=False, timeout=60)
    except ToolError as exc:
        raise DoveadmError(
            f"{binary} was not found: --engine doveadm needs Dovecot's doveadm on this host",
            hint="install dovecot-core, set doveadm under [options], or use --engine imap",
        ) from exc
    if done.returncode != 0:
        raise DoveadmError(
            f"doveadm cannot read the Dovecot config {config} (exit {done.returncode}): {_last(done.stderr)}",
            hint="fix the config, or point doveadm_config under [options] at the right one",
        )
    return LocalDovecot(binary, config, parse_config(done.stdout))


def problems(local: LocalDovecot, destination: Endpoint, user: str) -> list[str]:
    """What keeps the engine from moving ``user`` into ``local`` (empty: nothing)."""
    found = []
    if not is_this_host(destination.host):
        found.append(
            f"the destination {destination.host} is not this host: --engine doveadm writes into the Dovecot here"
        )
    elif destination.port not in local.settings.imap_ports:
        ports = ", ".join(str(p) for p in sorted(local.settings.imap_ports)) or "no port"
        found.append(
            f"the Dovecot of {local.config} serves IMAP on {ports}, not on {destination.port}: the destination"
            " is another server (set doveadm_config under [options] to its config)"
        )
    done = execute.run(user_argv(local.binary, local.config, user), check=False, timeout=60)
    if done.returncode == 67:
        found.append(f"the destination user {user} does not exist in the userdb of {local.config}: create it first")
    elif done.returncode != 0:
        found.append(f"doveadm user {user} failed (exit {done.returncode}): {_last(done.stderr)}")
    return found


def is_this_host(host: str) -> bool:
    """True when every address of ``host`` belongs to this machine (a socket can bind to it)."""
    return netprobe.is_this_host(host)


def _last(stderr: str) -> str:
    lines = [execute.mask(line) for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"
