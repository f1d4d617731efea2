"""What every backend offers: apply a list of changes to a zone, all or nothing."""

from __future__ import annotations

from typing import Protocol

from mailvault.dns.records import Change


class Backend(Protocol):
    name: str
    automatic: bool  # False: a human applies the changes (manual backend)

    def apply(self, zone: str, changes: list[Change]) -> None:
        """Apply ``changes`` to ``zone`` only if every ``before`` still holds; raise DnsConflict when
        one does not (nothing applied), DnsUpdateRefused when the server says no (nothing applied),
        DnsError when the outcome is unknown (a timeout)."""


def instructions(changes: list[Change]) -> list[str]:
    """Zone-file lines a human enters: what to delete, then what to add.

    >>> from mailvault.dns.records import RRset
    >>> instructions([Change(RRset("a.org.", "MX", 300, ("10 x.",)), RRset("a.org.", "MX", 300, ("10 y.",)))])
    ['delete: a.org. 300 IN MX 10 x.', 'add:    a.org. 300 IN MX 10 y.']
    """
    lines: list[str] = []
    for change in changes:
        lines += [f"delete: {line}" for line in (change.before.text() if change.before else [])]
        lines += [f"add:    {line}" for line in (change.after.text() if change.after else [])]
    return lines
