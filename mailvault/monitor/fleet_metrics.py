"""The fleet's figures for Prometheus: one series per host, labelled by host. Pure."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily, Metric

from mailvault.fleet.view import HostRow


def families(rows: list[HostRow], level: int) -> list[Metric]:
    fleet = GaugeMetricFamily(
        "mailvault_fleet_level", "The fleet's level: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN.", value=level
    )
    per_host: dict[str, tuple[str, Callable[[HostRow], float | int | None]]] = {
        "mailvault_fleet_host_level": ("Each host's level: 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN.", lambda r: r.level),
        "mailvault_fleet_backup_age_seconds": ("Age of each host's last successful backup.", lambda r: r.backup_age_s),
        "mailvault_fleet_rpo_target_seconds": ("Each host's RPO target.", lambda r: r.rpo_target_s),
        "mailvault_fleet_drill_passed": (
            "1 when the host's last drill passed (or warned), 0 when it failed.",
            lambda r: None if r.drill_verdict is None else int(r.drill_verdict in ("pass", "warn")),
        ),
        "mailvault_fleet_drill_rto_seconds": ("RTO of each host's last drill.", lambda r: r.rto_s),
        "mailvault_fleet_repository_bytes": ("Each host's repository size, as stored.", lambda r: r.repository_bytes),
        "mailvault_fleet_unreadable_summaries": ("Summaries of each host that could not be read.",
                                                 lambda r: len(r.unreadable)),
    }  # fmt: skip
    found: list[Metric] = [fleet]
    for name, (text, value_of) in per_host.items():
        family = GaugeMetricFamily(name, text, labels=["host"])
        for row in rows:
            value = value_of(row)
            if value is not None:
                family.add_metric([row.host], float(value))
        found.append(family)
    return found
