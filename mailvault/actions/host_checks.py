"""What a valid config names on this host: files that must be files, directories that must be
directories, secret files others cannot read, a TSIG key that parses. `config validate` reports every
problem here as ``path.to.key: message``; the commands meet the same checks (the same functions and
messages) where they use each file."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from mailvault.config.schema import Config
from mailvault.dns.tsig import load_key
from mailvault.errors import MailvaultError
from mailvault.keys.secrets import others_may_read


def host_problems(config: Config) -> list[str]:
    """Every problem with the files and directories ``config`` names, as ``key: message``."""
    return [f"{key}: {message}" for key, message in _problems(config)]


def _problems(config: Config) -> Iterator[tuple[str, str]]:
    repo, src = config.repository, config.sources
    # (a missing repository password file is written by `mailvault init`)
    if repo.password_file is not None and repo.password_file.exists():
        yield from _secret_file("repository.password_file", repo.password_file)
    if repo.s3 is not None:
        for where, keys in (("repository.s3", repo.s3), ("repository.s3.prune", repo.s3.prune)):
            for stem in ("access_key_id", "secret_access_key"):
                path = getattr(keys, f"{stem}_file", None) if keys is not None else None
                if path is not None:
                    yield from _secret_file(f"{where}.{stem}_file", path)
    for i, root in enumerate(src.maildirs):
        yield from _kind(f"sources.maildirs[{i}]", root, directory=True)
    for name in ("config", "keys"):
        for i, path in enumerate(getattr(src, name)):
            yield from _kind(f"sources.{name}[{i}]", path, directory=None)
    if config.state.dir.exists() and not config.state.dir.is_dir():
        yield "state.dir", f"{config.state.dir} is not a directory"
    imap, email = config.imap_restore, config.alerts.email
    for key, path in (
        ("imap_restore.password_file", imap.password_file if imap else None),
        ("alerts.email.password_file", email.password_file if email else None),
    ):
        if path is not None:
            yield from _secret_file(key, path)
    for key, path in (
        ("imap_restore.ca_file", imap.ca_file if imap else None),
        ("alerts.email.ca_file", email.ca_file if email else None),
        ("dns.mta_sts_ca_file", config.dns.mta_sts_ca_file if config.dns else None),
        ("migrate.accounts", config.migrate.accounts),
        ("migrate.servers", config.migrate.servers),
    ):
        if path is not None:
            yield from _kind(key, path, directory=False)
    if config.dns is not None and config.dns.tsig_key_file is not None:
        try:
            load_key(config.dns.tsig_key_file)
        except MailvaultError as exc:
            yield "dns.tsig_key_file", exc.one_line()


def _kind(key: str, path: Path, *, directory: bool | None) -> Iterator[tuple[str, str]]:
    """``path`` exists and is a directory (True), a file (False) or either (None)."""
    if not path.exists():
        yield key, f"{path} does not exist"
    elif directory is True and not path.is_dir():
        yield key, f"{path} is not a directory"
    elif directory is False and path.is_dir():
        yield key, f"{path} is a directory, not a file"


def _secret_file(key: str, path: Path) -> Iterator[tuple[str, str]]:
    """A file holding a secret: a regular file that others cannot read (its group may: root:mailvault 0640)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        yield key, f"{path} does not exist"
        return
    except OSError as exc:
        yield key, f"{path} cannot be read: {exc.strerror}"
        return
    if not stat.S_ISREG(st.st_mode):
        yield key, f"{path} is not a regular file"
    elif others_may_read(st.st_mode, group_ok=True):
        yield key, f"{path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
