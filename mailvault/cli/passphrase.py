"""Getting a kit passphrase: from a file for scripts, typed twice on a terminal for people."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from mailvault import execute
from mailvault.errors import SecretError
from mailvault.keys.secrets import SecretSource, resolve


def read_passphrase(file: Path | None, *, confirm: bool) -> str:
    """The passphrase from ``file`` (mode 0600 or 0640), else asked on the terminal (twice with ``confirm``).

    Raise SecretError when there is neither, or the two typed passphrases differ.
    """
    if file is not None:
        return resolve(SecretSource("kit passphrase", file=file))
    if not sys.stdin.isatty():
        raise SecretError(
            "no kit passphrase: this is not a terminal to ask on",
            hint="pass --passphrase-file FILE (mode 0600), or run on a terminal",
        )
    first = getpass.getpass("Kit passphrase: ")
    if confirm and getpass.getpass("The same passphrase again: ") != first:
        raise SecretError("the two passphrases differ; nothing was written", hint="run the command again")
    if not first:
        raise SecretError("the kit passphrase is empty", hint="type it, or pass --passphrase-file FILE")
    execute.register_secret(first)
    return first
