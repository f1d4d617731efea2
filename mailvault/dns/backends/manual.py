"""The manual backend: a human enters the records; ``dns gate`` and ``dns verify`` confirm them."""

from __future__ import annotations

from mailvault.dns.records import Change


class ManualBackend:
    name = "manual"
    automatic = False

    def apply(self, zone: str, changes: list[Change]) -> None:
        """Nothing to send: the caller prints :func:`~mailvault.dns.backends.base.instructions`."""
