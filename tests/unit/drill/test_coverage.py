"""Coverage over time: shares fixed by hash, a cycle proves every message, damage keeps a share open."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from mailvault.drill.coverage import Coverage, Proof, ahead, share_of, slot
from mailvault.mail.hash_index import Index


def _index(mailboxes: dict[str, int]) -> Index:
    return {
        (name, "INBOX"): {f"{name}-{i}": hashlib.sha256(f"{name}{i}".encode()).hexdigest() for i in range(count)}
        for name, count in mailboxes.items()
    }


def _drill(cov: Coverage, index: Index, every: int, at: str) -> int:
    cov.begin(every)
    chosen = cov.next_slot()
    share = share_of(index, chosen, cov.every)
    cov.record(chosen, Proof(at, 1, "snap", sum(len(e) for e in share.values())), index)
    return chosen


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers(0, 40), max_size=6), st.integers(1, 12))
def test_every_message_is_read_back_once_per_cycle_of_every_drills(mailboxes: dict[str, int], every: int) -> None:
    index = _index(mailboxes)
    cov = Coverage(every=every)
    seen: list[str] = []
    for n in range(every):
        chosen = _drill(cov, index, every, f"2026-01-{n + 1:02d}")
        seen += [b for entries in share_of(index, chosen, every).values() for b in entries]
    assert sorted(seen) == sorted(b for entries in index.values() for b in entries)  # each once, none twice
    assert cov.share == 1.0 and cov.cycles_completed == 1 and cov.oldest_unproven() is None
    assert cov.summary()["share_proven"] == 1.0 and cov.summary()["messages_pending"] == 0
    _drill(cov, index, every, "2026-02-01")  # the next drill begins the next cycle
    assert cov.cycle == 2 and len(cov.done) == 1


def test_the_shares_are_even_whatever_the_mailboxes_sizes() -> None:
    index = _index({"big": 6000, "small": 3})
    counts = [sum(len(e) for e in share_of(index, s, 12).values()) for s in range(12)]
    assert min(counts) > 6003 / 12 * 0.8 and max(counts) < 6003 / 12 * 1.2


def test_a_share_not_proven_is_the_next_drills_share_again() -> None:
    cov = Coverage(every=4)
    index = _index({"a": 20})
    _drill(cov, index, 4, "t1")
    cov.begin(4)
    assert cov.next_slot() == 1  # (a drill that found damage in share 1 records nothing)
    cov.begin(4)
    assert cov.next_slot() == 1 and 0.0 < cov.share < 0.5


def test_the_oldest_unproven_mailbox_is_the_one_never_or_longest_ago_proven() -> None:
    cov = Coverage(every=3)
    index = _index({"a": 30, "b": 30})
    for at in ("d1", "d2", "d3"):
        _drill(cov, index, 3, at)
    assert cov.last_complete == {"a": "d3", "b": "d3"}
    index[("c", "INBOX")] = {"c-0": "0" * 64}  # a new mailbox, one message in share 0
    _drill(cov, index, 3, "d4")
    assert cov.oldest_unproven() == ("a", "d3")  # c: wholly proven by share 0 already
    assert set(cov.proven_mailboxes) == {"c"} and cov.last_complete["c"] == "d4"
    index[("d", "INBOX")] = {"d-0": "0" * 63 + "1"}  # share 1
    _drill(cov, index, 3, "d5")
    assert cov.oldest_unproven() == ("a", "d3")
    cov2 = Coverage.from_json(cov.to_json())
    assert cov2 == cov


def test_changing_every_starts_the_rotation_over_and_the_further_state_wins() -> None:
    cov = Coverage(every=4)
    index = _index({"a": 10})
    _drill(cov, index, 4, "t1")
    old = Coverage.from_json(cov.to_json())
    _drill(cov, index, 4, "t2")
    assert ahead(old, cov) is cov and ahead(cov, old) is cov and ahead(None, old) is old
    cov.begin(6)
    assert cov.every == 6 and cov.done == {} and cov.next_slot() == 0


def test_slot_is_fixed_by_the_hash() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert slot(digest, 12) == int(digest[:8], 16) % 12
