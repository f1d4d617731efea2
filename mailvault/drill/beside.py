"""Where a drill's reports are stored beside the backups ([drill] upload_report). Pure.

Never inside restic's own directories: next to the repository, with ``-reports`` added to its name.
An S3 repository ``s3:…/BUCKET/hosts/mail1`` gets ``hosts/mail1-reports/`` in the same bucket (one
at the bucket's root gets ``mailvault-reports/``); a local one ``/var/backups/mailvault`` gets
``/var/backups/mailvault-reports``. Each report is named after its start time and run id, so reports
of hosts sharing a bucket never collide, nor do those of an installation whose run ids started over.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

SUFFIX = "-reports"
ROOT_DIR = "mailvault-reports"


def report_stem(run_id: int, started_at: str) -> str:
    """``drill-<start, UTC, compact>-<run id>``, sorting by time.

    >>> report_stem(17, "2026-11-29T07:00:12+00:00")
    'drill-20261129T070012Z-17'
    """
    return f"drill-{datetime.fromisoformat(started_at):%Y%m%dT%H%M%SZ}-{run_id}"


def s3_reports_prefix(prefix: str) -> str:
    """The key prefix of the reports beside the repository at ``prefix``.

    >>> s3_reports_prefix("hosts/mail1"), s3_reports_prefix("")
    ('hosts/mail1-reports/', 'mailvault-reports/')
    """
    prefix = prefix.strip("/")
    return f"{prefix}{SUFFIX}/" if prefix else f"{ROOT_DIR}/"


def local_reports_dir(repository: Path) -> Path:
    """The directory beside a local repository.

    >>> local_reports_dir(Path("/var/backups/mailvault/"))
    PosixPath('/var/backups/mailvault-reports')
    """
    return repository.with_name(repository.name + SUFFIX)
