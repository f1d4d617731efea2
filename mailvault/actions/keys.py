"""`mailvault keys rotate`: a new repository password, switched atomically; the old key removed.

The steps, and what is on disk if the process dies after each (``pw`` is the password file):

1. write the new password to ``pw.new``       -> pw works (the new key does not exist yet)
2. ``restic key add`` with ``pw.new``          -> pw and pw.new both work
3. copy pw to ``pw.old``; rename pw.new to pw  -> pw (new) works; pw.old (old) still works
4. ``restic key remove`` the old key           -> pw works
5. delete pw.old

At no point is there no working password on disk. A second run finds the leftovers and
finishes the rotation from where the first one stopped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailvault.actions.engine import Engine
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError, PasswordRefused, SecretError
from mailvault.keys.secrets import generate_password, sync_dir
from mailvault.keys.sources import password_source
from mailvault.kit.fingerprint import CHANGED_KEY
from mailvault.state.paths import write_atomic
from mailvault.state.run import recorded_run
from mailvault.tools import restic
from mailvault.tools.restic_output import current_key_id, key_count

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotateResult:
    password_file: str
    old_key: str | None
    new_key: str
    keys_now: int
    resumed: bool
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rotate(config: Config, *, dry_run: bool = False) -> RotateResult:
    """Rotate the repository password in ``repository.password_file`` (or finish an interrupted rotation)."""
    pw = _password_file(config)
    new, old = pw.with_name(pw.name + ".new"), pw.with_name(pw.name + ".old")
    with recorded_run(config.state.dir, "keys-rotate") as run:
        engine = Engine.open(config, deleting=True)  # removing a key deletes an object
        engine.require_reachable()
        if dry_run:
            key = _key_id(engine)
            result = RotateResult(str(pw), key, "(new)", _keys(engine), False, True)
            logger.info("keys rotate (dry run): would add a new key, switch %s, then remove key %s", pw, key[:8])
        else:
            result = _rotate(engine, pw, new, old)
            run.db.put(CHANGED_KEY, datetime.now(UTC).isoformat(timespec="seconds"))
        run.summary = result.as_dict()
    if not dry_run:
        logger.warning("the recovery kit now holds a retired password: export a new one (`mailvault kit export`)")
    return result


def _rotate(engine: Engine, pw: Path, new: Path, old: Path) -> RotateResult:
    resumed = False
    old_id: str | None
    if new.exists() and not _opens(engine, new):
        logger.info("removing %s left by a rotation that stopped before adding its key", new)
        new.unlink()
    if new.exists():  # stopped after `key add`: the new key works, switch to it now
        resumed = True
        old_id = _key_id(engine)
        new_id = _key_id(engine.with_password_file(new))
        _switch(pw, new, old)
    elif old.exists():  # stopped after the switch: pw holds the new password already
        resumed = True
        new_id = _key_id(engine)
        old_id = _key_id(engine.with_password_file(old)) if _opens(engine, old) else None
    else:
        old_id = _key_id(engine)
        generate_password(new)
        engine.run(restic.key_add_argv(engine.repo, new), "restic key add")
        new_id = _key_id(engine.with_password_file(new))
        _switch(pw, new, old)
    current = engine.with_password_file(pw)
    if old_id is not None and old_id != new_id:
        current.run(restic.key_remove_argv(current.repo, old_id), "restic key remove")
        logger.info("removed the old repository key %s", old_id[:8])
    old.unlink(missing_ok=True)
    keys = _keys(current)
    logger.info("repository password rotated%s: key %s is now in %s", " (resumed)" if resumed else "", new_id[:8], pw)
    return RotateResult(str(pw), old_id, new_id, keys, resumed, False)


def _password_file(config: Config) -> Path:
    source = password_source(config.repository)
    if source.file is None:
        raise SecretError(
            f"keys rotate switches a password file, but repository.password comes from {source.describe()}",
            hint="use repository.password_file, or rotate by hand: restic key add, update it, restic key remove",
        )
    return source.file


def _switch(pw: Path, new: Path, old: Path) -> None:
    """Keep the old password as pw.old, then put the new one in place with one rename."""
    write_atomic(old, pw.read_bytes())
    os.chmod(new, pw.stat().st_mode & 0o777)
    os.chown(new, pw.stat().st_uid, pw.stat().st_gid)
    os.replace(new, pw)
    sync_dir(pw.parent)


def _opens(engine: Engine, password_file: Path) -> bool:
    try:
        engine.with_password_file(password_file).run(restic.cat_config_argv(engine.repo), "restic cat config")
    except PasswordRefused:
        return False
    return True


def _key_id(engine: Engine) -> str:
    found = current_key_id(engine.run(restic.key_list_argv(engine.repo), "restic key list").stdout)
    if found is None:
        raise MailvaultError("restic key list did not say which key is in use", hint="run `restic key list` to see")
    return found


def _keys(engine: Engine) -> int:
    return key_count(engine.run(restic.key_list_argv(engine.repo), "restic key list").stdout)
