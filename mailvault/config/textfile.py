"""Reading an operator's text file (the config, a migrate accounts file): every way it can fail to
be read is one ConfigError naming the file and the fix, never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mailvault.errors import ConfigError


def read_text(path: Path, *, what: str, missing_hint: str) -> str:
    """The text of ``path`` (UTF-8); ConfigError when it is missing, a directory, unreadable or not text.

    ``what`` names the file for the operator ("config file", "accounts file").
    """
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} {path} does not exist", hint=missing_hint) from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{what} {path} is a directory, not a file", hint="give the path of the file in it") from exc
    except PermissionError as exc:
        raise ConfigError(
            f"{what} {path} is not readable by this user", hint="run as root, or fix the file's owner or mode"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            hint="check that it is the right file; save it as UTF-8",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror or exc}", hint="check the path") from exc


def read_toml(path: Path, *, what: str, missing_hint: str) -> dict[str, Any]:
    """``path`` parsed as TOML; ConfigError as in read_text, or naming the line of a syntax error."""
    text = read_text(path, what=what, missing_hint=missing_hint)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}", hint="fix the line it names") from exc
