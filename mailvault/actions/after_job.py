"""What every job does once it has ended, whatever its outcome: the host's HTML report
(``[report] html``) and the fleet summary (``[fleet] recipient``). Neither ever fails the job."""

from __future__ import annotations

from mailvault.config.schema import Config


def after_job(config: Config, kind: str) -> None:
    if config.report.html is not None and kind in ("backup", "drill"):
        from mailvault.actions.report import after_run

        after_run(config)
    if config.fleet.recipient is not None:
        from mailvault.actions.fleet_publish import publish

        publish(config, kind)
