"""Where the drill's coverage state is kept: in the state dir, and beside the repository with the
drill reports ([drill] upload_report), so that a host rebuilt from its backups continues the
rotation instead of starting it over. Of two copies, the one further on is used."""

from __future__ import annotations

import logging

from mailvault.config.schema import Config
from mailvault.drill.beside import local_reports_dir, s3_reports_prefix
from mailvault.drill.coverage import Coverage, ahead
from mailvault.errors import MailvaultError
from mailvault.keys.sources import s3_credentials
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.storage.location import local_path, parse_s3_url

logger = logging.getLogger(__name__)
NAME = "coverage.json"
TYPE = "application/json"


def load(config: Config, paths: StatePaths) -> tuple[Coverage, str]:
    """The state to continue from and where it came from ("state dir", "repository", "new")."""
    here = _parse(_read_local(paths), str(paths.coverage))
    there = None
    if config.drill.upload_report:
        try:
            there = _parse(_read_beside(config), "the copy beside the repository")
        except (MailvaultError, OSError) as exc:
            why = exc.one_line() if isinstance(exc, MailvaultError) else str(exc)
            logger.warning("the coverage state beside the repository could not be read: %s", why)
    chosen = ahead(here, there)
    if chosen is None:
        return Coverage(every=config.drill.full_coverage_every), "new"
    return chosen, "state dir" if chosen is here else "repository"


def save(config: Config, paths: StatePaths, coverage: Coverage) -> str | None:
    """Write the state here and (with upload_report) beside the repository; return why the second
    failed, or None."""
    text = coverage.to_json()
    write_atomic(paths.coverage, text)
    if not config.drill.upload_report:
        return None
    try:
        _write_beside(config, text.encode())
    except (MailvaultError, OSError) as exc:
        return exc.one_line() if isinstance(exc, MailvaultError) else str(exc)
    return None


def _parse(text: str | None, where: str) -> Coverage | None:
    if text is None:
        return None
    try:
        return Coverage.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        logger.warning("the coverage state in %s cannot be read (%s): it is left aside", where, exc)
        return None


def _read_local(paths: StatePaths) -> str | None:
    try:
        return paths.coverage.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _read_beside(config: Config) -> str | None:
    repo = config.repository
    if repo.is_s3:
        from mailvault.storage.objects import get_object

        location, creds = parse_s3_url(repo.url), s3_credentials(repo)
        if creds is None or repo.s3 is None:
            return None
        key = s3_reports_prefix(location.prefix) + NAME
        body = get_object(location, creds, key, timeout=repo.s3.connect_timeout)
        return body.decode("utf-8") if body is not None else None
    local = local_path(repo.url)
    if local is None:
        return None
    try:
        return (local_reports_dir(local.resolve()) / NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _write_beside(config: Config, body: bytes) -> None:
    repo = config.repository
    if repo.is_s3:
        from mailvault.storage.objects import put_objects

        location, creds = parse_s3_url(repo.url), s3_credentials(repo)
        if creds is None or repo.s3 is None:
            raise MailvaultError("an s3: repository needs [repository.s3] credentials")
        key = s3_reports_prefix(location.prefix) + NAME
        put_objects(location, creds, {key: (body, TYPE)}, timeout=repo.s3.connect_timeout)
        return
    local = local_path(repo.url)
    if local is not None:
        directory = local_reports_dir(local.resolve())
        directory.mkdir(mode=0o700, exist_ok=True)
        write_atomic(directory / NAME, body)
