"""`[drill] upload_report`: store the drill's JSON and Markdown reports beside the backups.

Next to an S3 repository through storage/ with the credentials the backups use, next to a local one
as files (see drill/beside.py for the places). A report that cannot be stored there is a warning of
the drill, logged and in the report kept in the state dir: it never fails the drill nor stops it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mailvault.config.schema import Config
from mailvault.drill.beside import local_reports_dir, report_stem, s3_reports_prefix
from mailvault.drill.judge import Finding, verdict
from mailvault.drill.report import DrillReport, render
from mailvault.errors import MailvaultError
from mailvault.keys.sources import s3_credentials
from mailvault.state.paths import write_atomic
from mailvault.storage.location import local_path, parse_s3_url

logger = logging.getLogger(__name__)
SUFFIXES = {"json": ".json", "markdown": ".md"}
TYPES = {"json": "application/json", "markdown": "text/markdown; charset=utf-8"}


def store_beside_backups(config: Config, report: DrillReport) -> None:
    """Store ``report`` beside the repository and set ``report.upload`` to where; on failure, leave
    it empty and add a warning finding (the verdict follows). Raises nothing expected."""
    repo = config.repository
    stem = report_stem(report.run_id, report.started_at)
    try:
        if repo.is_s3:
            location = parse_s3_url(repo.url)
            keys = {kind: s3_reports_prefix(location.prefix) + stem + SUFFIXES[kind] for kind in SUFFIXES}
            report.upload = {kind: f"s3:{location.endpoint}/{location.bucket}/{key}" for kind, key in keys.items()}
            _put_s3(config, report, keys)
        elif (local := local_path(repo.url)) is not None:
            directory = local_reports_dir(local.resolve())
            report.upload = {kind: str(directory / (stem + suffix)) for kind, suffix in SUFFIXES.items()}
            directory.mkdir(mode=0o700, exist_ok=True)
            for kind, text in render(report).items():
                write_atomic(Path(report.upload[kind]), text)
        else:
            raise MailvaultError(f"storing reports beside a {repo.url.split(':', 1)[0]}: repository is not supported")
    except (MailvaultError, OSError, ValueError) as exc:
        where = report.upload.get("json", repo.url.split(":", 1)[0] + " repository")
        why = exc.one_line() if isinstance(exc, MailvaultError) else str(exc)
        logger.warning("the drill report could not be stored beside the backups (%s): %s", where, why)
        report.upload = {}
        report.findings.append(Finding("warn", "report", f"the report could not be stored beside the backups"
                                       f" ({where}): {why}"))  # fmt: skip
        report.verdict = verdict(report.findings)
        return
    logger.info("drill report stored beside the backups: %s", report.upload["json"])


def _put_s3(config: Config, report: DrillReport, keys: dict[str, str]) -> None:
    from mailvault.storage.objects import put_objects

    s3 = config.repository.s3
    creds = s3_credentials(config.repository)
    if s3 is None or creds is None:
        raise MailvaultError("an s3: repository needs [repository.s3] credentials")
    texts = render(report)  # with report.upload set: the stored report says where it is
    objects = {keys[kind]: (texts[kind].encode(), TYPES[kind]) for kind in keys}
    put_objects(parse_s3_url(config.repository.url), creds, objects, timeout=s3.connect_timeout)
