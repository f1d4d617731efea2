from pathlib import Path

from mailvault.drill.imap_check import size_findings
from mailvault.drill.lint import FolderFacts


def test_sizes_over_imap_are_judged_against_the_lints_once_both_are_done() -> None:
    facts = [FolderFacts("a@x.org", "INBOX", 2, 300, Path("/r/a")), FolderFacts("a@x.org", "Sent", 1, 90, Path("/r/s"))]
    assert size_findings({("a@x.org", "INBOX"): 300, ("a@x.org", "Sent"): 90}, facts) == []
    found = size_findings({("a@x.org", "INBOX"): 299}, facts)  # Sent was empty over IMAP: no size to judge
    assert [(f.level, f.phase, f.message) for f in found] == [
        ("fail", "verify", "a@x.org INBOX: 299 bytes over IMAP, the restored files hold 300")
    ]
