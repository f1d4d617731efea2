"""Cron expressions for the job schedules: parsing, next run times, and rendering for systemd and cron.

One grammar for all three runners (APScheduler, systemd timers, cron files) so a schedule means the
same thing wherever it runs:

- five fields ``minute hour day month weekday`` (or six, with ``second`` first; the cron file cannot
  run those), each ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a list of those;
  month and weekday also take names (``jan``, ``mon``); weekday 0 and 7 are Sunday;
- the aliases ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``;
- not day-of-month and weekday both restricted: cron runs when *either* matches, systemd and
  APScheduler when *both* do, so such a schedule would mean different things in different places.

Every field is expanded to the set of values it allows; renderings list those values explicitly, so
no runner's own reading of steps or weekday numbers (APScheduler counts weekdays from Monday) matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 (and 7) is Sunday
_SYSTEMD_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_FIELDS = (  # name, lowest, highest, names
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("weekday", 0, 7, WEEKDAYS),
)


@dataclass(frozen=True)
class Cron:
    """A parsed schedule: the allowed values of each field (``None``: every value, ``*``)."""

    text: str
    second: frozenset[int]
    minute: frozenset[int] | None
    hour: frozenset[int] | None
    day: frozenset[int] | None
    month: frozenset[int] | None
    weekday: frozenset[int] | None  # 0 = Sunday ... 6 = Saturday

    def matches_day(self, when: datetime) -> bool:
        return (
            (self.month is None or when.month in self.month)
            and (self.day is None or when.day in self.day)
            and (self.weekday is None or (when.isoweekday() % 7) in self.weekday)
        )


def parse(text: str) -> Cron:
    """Parse a schedule; raise ValueError with a sentence naming the bad part."""
    spec = ALIASES.get(text.strip().lower(), text.strip())
    parts = spec.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ValueError(
            f"{text!r} is not a cron schedule: write five fields (minute hour day month weekday),"
            " like '30 2 * * *', or an alias such as @daily"
        )
    sets = [_field(part, *meta) for part, meta in zip(parts, _FIELDS, strict=True)]
    second, minute, hour, day, month, weekday = sets
    if weekday is not None:
        weekday = frozenset(d % 7 for d in weekday)
        if len(weekday) == 7:
            weekday = None
    if day is not None and weekday is not None:
        raise ValueError(
            f"{text!r} restricts both the day of month and the weekday: cron runs when either matches,"
            " systemd when both do; restrict only one of them"
        )
    seconds = second if second is not None else frozenset(range(60))
    return Cron(text.strip(), seconds, minute, hour, day, month, weekday)


def _field(part: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int] | None:
    values: set[int] = set()
    for item in part.lower().split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdecimal() else 0
        if step_text and not 1 <= step <= high - low + 1:
            raise ValueError(f"the {name} step {step_text!r} is not valid; write */n with n from 1 to {high - low + 1}")
        step = step or 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _number(first, name, low, high, names), _number(last, name, low, high, names)
            if start > end:
                raise ValueError(f"the {name} range {body!r} runs backwards; write it low-high")
        else:
            start = _number(body, name, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    if part == "*" or values == set(range(low, high + 1)):
        return None
    return frozenset(values)


def _number(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text in names:
        return names.index(text) + (1 if name == "month" else 0)
    if not text.isdecimal() or not low <= int(text) <= high:
        allowed = f"{low}-{high}" + (f" or {names[0]}..{names[-1]}" if names else "")
        raise ValueError(f"{text!r} is not a valid {name} ({allowed})")
    return int(text)


def _sorted(values: frozenset[int] | None, low: int, high: int) -> list[int]:
    return sorted(values) if values is not None else list(range(low, high + 1))


def next_run(cron: Cron, after: datetime) -> datetime:
    """The first time strictly after ``after`` (an aware local time) that the schedule allows."""
    start = after.replace(microsecond=0) + timedelta(seconds=1)
    day = start.replace(hour=0, minute=0, second=0)
    for _ in range(366 * 8):  # every allowed date comes round within eight years (29 February)
        if cron.matches_day(day):
            for hour in _sorted(cron.hour, 0, 23):
                for minute in _sorted(cron.minute, 0, 59):
                    for second in sorted(cron.second):
                        candidate = day.replace(hour=hour, minute=minute, second=second)
                        if candidate >= start:
                            return candidate
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # safe across a DST change
    raise ValueError(f"{cron.text!r} never runs (no such date)")


def next_runs(cron: Cron, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        after = next_run(cron, after)
        found.append(after)
    return found


def cadence(cron: Cron, after: datetime) -> timedelta:
    """The longest wait between two runs (over the next ten): how stale a job's last run may get."""
    runs = next_runs(cron, after, 11)
    return max(b - a for a, b in pairwise(runs))


def to_systemd(cron: Cron) -> str:
    """The ``OnCalendar=`` value for the schedule (local time, like cron)."""

    def values(field: frozenset[int] | None, width: int = 2) -> str:
        return "*" if field is None else ",".join(f"{v:0{width}d}" for v in sorted(field))

    days = "" if cron.weekday is None else ",".join(_SYSTEMD_DAYS[d] for d in sorted(cron.weekday)) + " "
    seconds = values(cron.second if cron.second != frozenset(range(60)) else None)
    return f"{days}*-{values(cron.month)}-{values(cron.day)} {values(cron.hour)}:{values(cron.minute)}:{seconds}"


def to_crontab(cron: Cron) -> str:
    """The five time fields of a crontab line; raise ValueError for schedules with seconds."""
    if cron.second != frozenset({0}):
        raise ValueError(f"{cron.text!r} has a seconds field, which cron cannot run; use minutes")

    def values(field: frozenset[int] | None) -> str:
        return "*" if field is None else ",".join(str(v) for v in sorted(field))

    return " ".join(values(f) for f in (cron.minute, cron.hour, cron.day, cron.month, cron.weekday))


def apscheduler_fields(cron: Cron) -> dict[str, str]:
    """Keyword arguments for APScheduler's CronTrigger, weekdays by name (it counts from Monday)."""

    def values(field: frozenset[int] | None) -> str:
        return "*" if field is None else ",".join(str(v) for v in sorted(field))

    return {
        "second": values(cron.second if cron.second != frozenset(range(60)) else None),
        "minute": values(cron.minute),
        "hour": values(cron.hour),
        "day": values(cron.day),
        "month": values(cron.month),
        "day_of_week": "*" if cron.weekday is None else ",".join(WEEKDAYS[d] for d in sorted(cron.weekday)),
    }
