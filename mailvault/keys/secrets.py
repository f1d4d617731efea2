"""Resolving secrets from a file, a command, the environment or the config itself.

Every resolved value is registered with :mod:`mailvault.execute` so that it is
masked wherever mailvault echoes text. Values never travel in argv.
"""

from __future__ import annotations

import os
import secrets as pysecrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailvault import execute
from mailvault.errors import SecretError

if TYPE_CHECKING:
    from pydantic import SecretStr


@dataclass(frozen=True)
class SecretSource:
    """Where one secret lives. Exactly one of the fields is set."""

    label: str  # e.g. "repository.password"
    file: Path | None = None
    command: str | None = None
    env: str | None = None
    credential: str | None = None
    inline: SecretStr | None = None

    @classmethod
    def from_section(cls, section: object, stem: str, label: str) -> SecretSource:
        """The source of secret ``stem`` in a config section, whose keys follow one convention:
        ``STEM_file``, ``STEM_command``, ``STEM_env``, ``STEM_credential`` or ``STEM`` itself.
        """
        return cls(
            label,
            file=getattr(section, f"{stem}_file"),
            command=getattr(section, f"{stem}_command"),
            env=getattr(section, f"{stem}_env"),
            credential=getattr(section, f"{stem}_credential"),
            inline=getattr(section, stem, None),  # (an accounts file has no inline form)
        )

    def describe(self) -> str:
        """Where the secret comes from, fit for an error message (never the value)."""
        if self.file is not None:
            return f"file {self.file}"
        if self.command is not None:
            return "command " + execute.mask(self.command)
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.credential is not None:
            return f"systemd credential {self.credential}"
        return "the config file"

    def credential_path(self) -> Path | None:
        """Where systemd put the credential (``$CREDENTIALS_DIRECTORY/NAME``); None for other sources.

        Raise SecretError when the credential is asked for outside a unit that loads credentials.
        """
        if self.credential is None:
            return None
        directory = os.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise SecretError(
                f"{self.label}: systemd credential {self.credential} asked for, but $CREDENTIALS_DIRECTORY is not set",
                hint=f"run mailvault from a unit with LoadCredential={self.credential}:/path/to/file",
            )
        return Path(directory) / self.credential

    def file_path(self) -> Path | None:
        """The file holding the secret (a ``*_file`` or a systemd credential), if it lives in one."""
        return self.file if self.file is not None else self.credential_path()


_ANSWERED: dict[tuple[str, str], str] = {}  # (label, command) -> what the command printed, this run
_ASKING = threading.Lock()


def resolve(source: SecretSource) -> str:
    """Return the secret's value (trailing newline stripped) and register it for masking. A command
    is run once per process (one mailvault command is one run): a `pass` or vault lookup may prompt,
    log or cost a round trip each time.

    Raise SecretError naming the source when it is missing, empty or readable by others.
    """
    if source.command is not None:
        key = (source.label, source.command)
        with _ASKING:  # (the drill and the backup open the repository in a thread beside other work)
            if key not in _ANSWERED:
                _ANSWERED[key] = _read(source)
            value = _ANSWERED[key]
    else:
        value = _read(source)
    if not value:
        raise SecretError(f"{source.label} from {source.describe()} is empty", hint="put the secret there")
    execute.register_secret(value)
    return value


def forget_answers() -> None:
    """End of a run inside a long-lived process (the daemon): commands are asked again next run."""
    _ANSWERED.clear()


def _read(source: SecretSource) -> str:
    path = source.file_path()
    if path is not None:
        try:
            refuse_if_readable_by_others(path, what=f"{source.label} file", group_ok=True)
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError as exc:
            raise SecretError(
                f"{source.label} file {path} does not exist",
                hint="create it (mode 0600) or fix the path in the config",
            ) from exc
        except PermissionError as exc:
            raise SecretError(f"{source.label} file {path} is not readable", hint="run as root") from exc
        except IsADirectoryError as exc:
            raise SecretError(
                f"{source.label} file {path} is a directory, not a file", hint="give the path of the file in it"
            ) from exc
        except UnicodeDecodeError as exc:
            raise SecretError(
                f"{source.label} file {path} is not UTF-8 text", hint="check it is the right file"
            ) from exc
    if source.command is not None:
        done = execute.run(
            ("/bin/sh", "-c", source.command),
            what=f"the {source.label} command",
            hint=f"fix {source.label}_command in the config",
        )
        return done.stdout.rstrip("\r\n")
    if source.env is not None:
        if source.env not in os.environ:
            raise SecretError(
                f"{source.label}: environment variable {source.env} is not set",
                hint="export it before running mailvault",
            )
        return os.environ[source.env]
    assert source.inline is not None
    return source.inline.get_secret_value()


def generate_password(path: Path) -> None:
    """Write a new random repository password (256 bits, URL-safe) to ``path`` with mode 0600.

    Never overwrites: raise SecretError when ``path`` already exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    value = pysecrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SecretError(f"password file {path} already exists; it is never overwritten") from exc
    execute.register_secret(value)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    sync_dir(path.parent)  # the new name itself survives a crash


def sync_dir(directory: Path) -> None:
    """fsync a directory, so the renames and creations in it are on disk."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def others_may_read(mode: int, *, group_ok: bool) -> bool:
    """Whether a secret file of ``mode`` can be read by other users (and, unless ``group_ok``, its group).

    >>> others_may_read(0o640, group_ok=True), others_may_read(0o640, group_ok=False)
    (False, True)
    """
    return bool(mode & (stat.S_IROTH | (0 if group_ok else stat.S_IRGRP)))


def refuse_if_readable_by_others(path: Path, *, what: str, group_ok: bool = False) -> None:
    """Raise SecretError when ``path`` can be read by other users (and, unless ``group_ok``, its group)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if others_may_read(mode, group_ok=group_ok):
        raise SecretError(
            f"{what} {path} is readable by others (mode {mode:04o})",
            hint=f"run: chmod 600 {path}",
        )
