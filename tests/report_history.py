"""A generated host history for the report's tests and its benchmark: drills and backups over weeks,
one drill failed, a backup gap, the repository growing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailvault.report.history import BackupPoint, DrillPoint, HostReport, SizePoint, gaps

START = datetime(2026, 9, 1, 2, 30, tzinfo=UTC)


def generated_report(*, drills: int, backups: int) -> HostReport:
    now = START + timedelta(days=max(backups, drills * 2) + 1)
    report = HostReport("mail.example.org", now.isoformat(timespec="seconds"), 4 * 3600, 26 * 3600)
    for i in range(backups):
        at = START + timedelta(days=i + (3 if i > backups // 2 else 0))  # a three-day gap half-way
        report.backups.append(BackupPoint(i + 1, at.isoformat(), "failed" if i % 17 == 16 else "ok",
                                          20.0 + i * 0.3, 40_000_000 + 100_000 * i, 50_000 + 500 * i))  # fmt: skip
        report.sizes.append(SizePoint(at.isoformat(), 2_000_000_000 + 40_000_000 * i))
    for i in range(drills):
        at = START + timedelta(days=2 * i, hours=4, minutes=30)
        report.drills.append(DrillPoint(1000 + i, at.isoformat(), "fail" if i == drills // 3 else "pass",
                                        25.0 + i, 3600.0 * (2 + i % 5), 30.0 + i, 40.0 + i,
                                        ((i % 12) + 1) / 12, "ab" * 32))  # fmt: skip
    report.gaps = gaps(report.backups, report.generated)
    report.coverage = {"cycle": drills // 12 + 1, "every": 12, "shares_proven": drills % 12,
                       "share_proven": (drills % 12) / 12,
                       "oldest_unproven": {"mailbox": "bob@example.org", "since": None}}  # fmt: skip
    report.latest_phases = {"snapshot": 1.4, "container": 0.5, "restore": 19.7, "lint": 2.8, "serve": 0.3,
                            "verify": 5.6, "controls": 0.3, "canary": 3.9}  # fmt: skip
    report.latest_findings = [{"level": "pass", "phase": "verify", "message": "16 folders match"}]
    return report
