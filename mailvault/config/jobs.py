"""The jobs mailvault schedules, named once. A job's name is its command (``restore-test``); its
[schedule] section uses underscores (``restore_test``); its runs are recorded under its kind
(``drill`` for ``restore-test``)."""

from __future__ import annotations

JOBS = ("backup", "prune", "check", "restore-test", "restore-test-oldest", "watch", "migrate-sync")
DUTIES = ("backup", "prune", "check", "restore-test")  # the jobs whose age status, alerts and metrics judge


def job_kind(job: str) -> str:
    """The run-history kind of a job (`restore-test` runs are recorded as `drill`, whichever snapshot).

    >>> [job_kind(j) for j in DUTIES], job_kind("restore-test-oldest")
    (['backup', 'prune', 'check', 'drill'], 'drill')
    """
    return "drill" if job.startswith("restore-test") else job


def section(job: str) -> str:
    """The job's [schedule] section: ``restore-test`` -> ``restore_test``."""
    return job.replace("-", "_")
