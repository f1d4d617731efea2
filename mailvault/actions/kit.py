"""`mailvault kit export|verify|show|status`: the offline recovery kit as a tested artefact."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailvault import __version__, execute, netprobe
from mailvault.actions.engine import Engine
from mailvault.actions.snapshot_pick import list_snapshots
from mailvault.config.schema import Config
from mailvault.errors import KitError, PasswordRefused
from mailvault.keys.secrets import resolve
from mailvault.keys.sources import password_source, s3_credentials
from mailvault.kit import armor, sealed
from mailvault.kit.content import KitContent, S3Keys
from mailvault.kit.fingerprint import record_export
from mailvault.kit.status import status as status
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.tools import restic

logger = logging.getLogger(__name__)
MIN_PASSPHRASE = 12


def gather(config: Config, config_path: Path) -> KitContent:
    """Everything a bare machine needs, read from the config's secret sources."""
    repo = config.repository
    password = resolve(password_source(repo))
    creds = s3_credentials(repo)
    prune = s3_credentials(repo, deleting=True) if repo.s3 is not None and repo.s3.prune is not None else None
    return KitContent(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        hostname=netprobe.hostname(),
        mailvault_version=__version__,
        repository_url=repo.url,
        password=password,
        s3_region=repo.s3.region if repo.s3 is not None else None,
        s3=S3Keys(creds.access_key_id, creds.secret_access_key) if creds else None,
        s3_prune=S3Keys(prune.access_key_id, prune.secret_access_key) if prune else None,
        config_toml=config_path.read_text(encoding="utf-8"),
        config_path=str(config_path),
    )


@dataclass(frozen=True)
class ExportResult:
    path: str
    armored: bool
    bytes: int
    repository: str
    created: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export(
    config: Config, config_path: Path, out: Path, passphrase: str, *, armored: bool, force: bool = False
) -> ExportResult:
    """Seal the kit under ``passphrase``, prove it opens, write it (mode 0600, never half a file)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KitError(
            f"the kit passphrase is {len(passphrase)} characters; it needs at least {MIN_PASSPHRASE}",
            hint="use four or more random words: it protects every secret of the backup",
        )
    if out.exists() and not force:
        raise KitError(f"{out} already exists", hint="choose another --out, or pass --force to replace it")
    if not out.parent.is_dir():
        raise KitError(f"directory {out.parent} does not exist", hint="create it or choose another --out")
    content = gather(config, config_path)
    blob = sealed.seal(content.to_payload(), passphrase)
    data = armor.armor(blob, host=content.hostname).encode("ascii") if armored else blob
    if decode(data, passphrase, name=str(out)) != content:  # a kit that does not open is worse than none
        raise KitError("the kit did not open again right after sealing; nothing was written")
    write_atomic(out, data)
    paths = StatePaths(config.state.dir)
    paths.ensure()
    # the same values, in the same order, as current_secrets(config): already resolved for the kit
    values = [content.repository_url, *content.secrets()]
    record_export(StateDB(paths.db), values, when=content.created, path=str(out.resolve()))
    logger.info("recovery kit written to %s (%d bytes%s)", out, len(data), ", armored" if armored else "")
    return ExportResult(str(out), armored, len(data), content.repository_url, content.created)


def decode(data: bytes, passphrase: str, *, name: str) -> KitContent:
    """A kit's content from its binary or armored form."""
    if not sealed.is_sealed(data):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if not armor.is_armored(text):
            raise KitError(f"{name} is not a mailvault recovery kit", hint="give the file `mailvault kit export` wrote")
        data = armor.dearmor(text, name=name)
    content = KitContent.from_payload(sealed.open_sealed(data, passphrase, name=name), name=name)
    for value in content.secrets():
        execute.register_secret(value)
    return content


def open_kit(path: Path, passphrase: str) -> KitContent:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KitError(f"kit file {path} does not exist", hint="give the path of the exported kit") from None
    except OSError as exc:
        raise KitError(f"kit file {path} cannot be read: {exc.strerror}") from None
    return decode(data, passphrase, name=str(path))


def masked_view(content: KitContent) -> dict[str, Any]:
    """What the kit holds, secrets masked: safe to print."""

    def keys(pair: S3Keys | None) -> dict[str, str] | None:
        if pair is None:
            return None
        return {"access_key_id": _mask(pair.access_key_id), "secret_access_key": "***"}

    return {
        "created": content.created,
        "hostname": content.hostname,
        "mailvault_version": content.mailvault_version,
        "repository": content.repository_url,
        "password": "***",
        "s3_region": content.s3_region,
        "s3": keys(content.s3),
        "s3_prune": keys(content.s3_prune),
        "config_path": content.config_path,
        "config_lines": len(content.config_toml.splitlines()),
    }


def _mask(value: str) -> str:
    """Enough of a key id to tell two apart, never the whole: ``AKIA…(20)``."""
    return f"{value[:4]}…({len(value)})" if len(value) >= 12 else "***"


@dataclass(frozen=True)
class VerifyResult:
    repository: str
    repository_id: str
    snapshots: int
    latest: str | None
    kit_created: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(path: Path, passphrase: str) -> VerifyResult:
    """Open the kit and prove it opens the real repository: read its config, list its snapshots."""
    content = open_kit(path, passphrase)
    config = content.to_config()
    engine = Engine.open(config)
    engine.require_reachable()
    try:
        repo_config = engine.run(restic.cat_config_argv(engine.repo), "restic cat config").stdout
        snaps = list_snapshots(engine)
    except PasswordRefused:
        raise KitError(
            f"the repository {content.repository_url} no longer accepts the password in {path}"
            f" (exported {content.created}): its key was rotated or removed since",
            hint="export a new kit on the mail host: `mailvault kit export`",
        ) from None
    repo_id = str(json.loads(repo_config).get("id", ""))
    latest = snaps[-1].time.isoformat(timespec="seconds") if snaps else None
    return VerifyResult(content.repository_url, repo_id, len(snaps), latest, content.created)
