"""The destination provider's caps: what is skipped, when the copy stops, when it may go on (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailvault.migrate.caps import (
    DAY,
    Caps,
    DailyCapReached,
    DailyTally,
    connections,
    days_needed,
    destination_caps,
    pace,
    plan_notes,
    room_at,
    too_large,
)
from mailvault.migrate.copy import FolderResult, admit, within_size_limit

MiB = 2**20
GMAIL = destination_caps("gmail")
NOON = datetime(2025, 6, 1, 12, 0, tzinfo=UTC).timestamp()


def test_the_presets_carry_the_providers_published_figures() -> None:
    assert (GMAIL.provider, GMAIL.max_message_bytes, GMAIL.max_bytes_per_day) == ("gmail", 25 * MiB, 500 * 10**6)
    assert GMAIL.max_connections == 15 and GMAIL.max_bytes_per_second is None  # Google publishes no rate
    office = destination_caps("office365")
    assert (office.max_message_bytes, office.max_bytes_per_day, office.max_connections) == (35 * MiB, None, 20)
    assert destination_caps(None) == Caps()


def test_a_message_over_the_size_limit_is_not_attempted_and_says_why() -> None:
    assert too_large(GMAIL, 25 * MiB) is None, "the limit itself is allowed"
    assert too_large(GMAIL, 25 * MiB + 1) == "25.0 MiB is over gmail's limit of 25.0 MiB a message: not attempted"
    assert too_large(Caps(), 10**12) is None, "no preset on the destination: no limit of ours"


def test_oversized_messages_are_reported_as_skipped_and_the_rest_goes_on() -> None:
    folder = FolderResult("INBOX", "INBOX")
    sizes = {1: 1000, 2: 26 * MiB, 3: 2000}
    assert within_size_limit([1, 2, 3], sizes, GMAIL, folder, "alice") == [1, 3]
    (skipped,) = folder.skipped
    assert (skipped.folder, skipped.uid, skipped.size) == ("INBOX", 2, 26 * MiB) and "gmail" in skipped.reason
    assert folder.rejected == [], "skipped is not refused: the server never saw it"


def test_pacing_keeps_to_the_lower_rate() -> None:
    paced = Caps("x", max_bytes_per_second=1000.0)
    assert pace(None, Caps()) is None
    assert pace(5000.0, Caps()) == 5000.0
    assert pace(None, paced) == 1000.0 and pace(500.0, paced) == 500.0 and pace(5000.0, paced) == 1000.0


def test_connections_stay_within_the_providers_limit() -> None:
    assert connections(16, GMAIL) == 15 and connections(3, GMAIL) == 3 and connections(16, Caps()) == 16
    assert connections(0, GMAIL) == 1


def test_days_needed_at_the_daily_cap() -> None:
    assert days_needed(0, 500) == 1 and days_needed(500, 500) == 1 and days_needed(501, 500) == 2
    assert days_needed(1_200_000_000, GMAIL.max_bytes_per_day) == 3
    assert days_needed(10**12, None) == 1


def test_room_comes_when_the_oldest_uploads_leave_the_24_hours() -> None:
    history = [(NOON - 20 * 3600, 300), (NOON - 10 * 3600, 300), (NOON - 1, 300)]
    assert room_at(history, 100, 1000, NOON) == NOON, "900 used, 100 fits now"
    assert room_at(history, 200, 1000, NOON) == NOON - 20 * 3600 + DAY, "once the first 300 are a day old"
    assert room_at(history, 500, 1000, NOON) == NOON - 10 * 3600 + DAY, "once the second are"
    assert room_at([(NOON - DAY - 5, 1000)], 1000, 1000, NOON) == NOON, "older than a day: does not count"
    with pytest.raises(ValueError):
        room_at([], 1001, 1000, NOON)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_tally_stops_before_the_cap_and_says_when_to_go_on() -> None:
    clock = Clock(NOON)
    caps = Caps("gmail", max_bytes_per_day=1000)
    earlier = [(NOON - 23 * 3600, 400)]  # an earlier run, an hour before it leaves the window
    tally = DailyTally(caps, earlier, who="alice@example.com", clock=clock)
    assert tally.take(300) and tally.take(300)
    assert not tally.take(200), "400 + 600 + 200 would cross 1000"
    assert not tally.take(1), "once refused, the run stops: no later smaller message slips in"
    error = tally.reached()
    assert isinstance(error, DailyCapReached)
    assert error.message == ("alice@example.com: stopped before gmail's upload limit of 1000 B a day:"
                             " 1000 B uploaded in the last 24 hours, 600 B of it by this run")  # fmt: skip
    assert error.hint == "run again after 2025-06-01 13:00 UTC to go on; nothing is copied twice"


def test_what_was_not_stored_goes_back_to_the_tally() -> None:
    tally = DailyTally(Caps("gmail", max_bytes_per_day=1000), [], who="a", clock=Clock(NOON))
    assert tally.take(600)
    tally.give_back(600)  # refused by the server, or the connection dropped: nothing stored
    assert tally.take(900) and tally.this_run == 900


def test_without_a_daily_cap_everything_is_admitted() -> None:
    tally = DailyTally(Caps(), [], who="a")
    assert admit(tally, [1, 2, 3], {1: 10**12, 2: 10**12, 3: 10**12}) == [1, 2, 3]
    assert admit(None, [4], {}) == [4]


def test_a_batch_is_cut_at_the_first_message_that_does_not_fit() -> None:
    tally = DailyTally(Caps("gmail", max_bytes_per_day=1000), [], who="a", clock=Clock(NOON))
    assert admit(tally, [1, 2, 3, 4], {1: 400, 2: 400, 3: 300, 4: 10}) == [1, 2]
    assert admit(tally, [5], {5: 10}) == [], "stopped: the next batch gets nothing either"


def test_the_plan_shows_what_the_caps_will_do() -> None:
    over = {"INBOX": (1, 30 * MiB), "Archive": (2, 60 * MiB), "Sent": (0, 0)}
    notes = plan_notes(GMAIL, over, 90 * MiB + 1_200_000_000)
    assert notes == [
        "gmail as destination: 3 message(s) over its limit of 25.0 MiB a message will be skipped (INBOX: 1,"
        " Archive: 2)",
        "gmail as destination: 1.1 GiB to upload at 476.8 MiB a day takes 3 days; each run stops before the cap"
        " and says when to run again",
    ]
    assert plan_notes(GMAIL, {"INBOX": (0, 0)}, 1000) == [], "small and within the cap: nothing to say"
    assert plan_notes(Caps(), over, 10**12) == [], "no preset on the destination"
