"""`mailvault migrate run`: copy every message with its flags, keywords and INTERNALDATE, exactly once.

Per folder: the source's UIDs not yet recorded in the state are pending. Before copying, any
destination message the state does not know (a run killed between the server's OK and the state
write; a lost state DB; mail that was already there) is matched by identity against the pending
ones, and the matches are recorded instead of copied. Then batches of UID FETCH (BODY.PEEK[], FLAGS,
INTERNALDATE) go to the destination by MULTIAPPEND where offered (one command a batch, atomic), each
batch recorded only after the server's OK. A message the destination refuses is retried alone, and
if refused again reported with the server's reason; the run goes on. A dropped connection is not a
refusal: it means reconnect and redo the folder, whose batch the server may or may not have
committed before the drop; the identity match finds it if it did. Throttling is met with back-off.
When the destination's provider has caps (a preset, see caps.py), a message over its size limit is
skipped and reported, and the copy stops cleanly before its daily upload cap.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from mailvault.errors import ImapDropped, ImapError, ImapRefused, ImapUnreachable, MailvaultError
from mailvault.imap.client import ImapSession
from mailvault.imap.folders import FolderPlan, Mapping, Side, map_folders
from mailvault.imap.session import describe, session, subscribed
from mailvault.mail import utf7
from mailvault.migrate.accounts import Account, AccountsFile, Options
from mailvault.migrate.appending import Rejected, append
from mailvault.migrate.caps import (
    DAY,
    Caps,
    DailyCapReached,
    DailyTally,
    connections,
    destination_caps,
    pace,
    too_large,
)
from mailvault.migrate.fetched import identity_of, light_fetch, side_identities, sizes_of
from mailvault.migrate.identity import match, repeated_ids
from mailvault.migrate.same_account import refuse_same_mailbox
from mailvault.migrate.state import Copied, MigrationState

logger = logging.getLogger(__name__)
RETRIES = 4  # reconnections: after 1, 2, 4 and 8 s
Progress = Callable[[str, int, int, int], None]  # account, messages done, bytes done, messages total
Mapper = Callable[[Side, Side], FolderPlan]


class Dropped(Exception):
    """A connection lost while copying one folder: reconnect, and redo that folder."""

    def __init__(self, folder: str, cause: BaseException) -> None:
        super().__init__(f"connection lost while copying folder {folder!r} ({cause})")
        self.folder = folder


@dataclass
class FolderResult:
    source: str
    destination: str
    pending: int = 0
    copied: int = 0
    bytes: int = 0
    found_on_destination: int = 0  # already there (an earlier interrupted run, a lost state): not copied again
    held_elsewhere: int = 0  # Gmail's All Mail: copied already through one of the account's labels
    error: str | None = None  # the folder could not be copied at all (the destination refused to create it)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: list[Rejected] = field(default_factory=list)  # over the destination provider's size limit
    finished: bool = False
    engine: str = "imap"  # how this folder was copied: "imap" (APPEND) or "dsync" (UIDs kept)


@dataclass
class AccountResult:
    source_user: str
    destination_user: str
    folders: list[FolderResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    paused: str | None = None  # stopped before the destination provider's daily cap: run again later
    dry_run: bool = False
    engine: str = "imap"
    notes: list[str] = field(default_factory=list)  # what the engine chose and why (the doveadm engine)
    error_details: list[str] = field(default_factory=list)  # a failed command's evidence: argv, stderr

    @property
    def copied(self) -> int:
        return sum(f.copied for f in self.folders)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.folders)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "copied": self.copied, "bytes": self.bytes}


@dataclass(frozen=True)
class Filters:
    folders: tuple[str, ...] = ()  # globs on decoded source names; empty: all
    exclude: tuple[str, ...] = ()
    since: date | None = None
    max_bytes_per_second: float | None = None

    def wants(self, decoded: str) -> bool:
        if self.folders and not any(fnmatch.fnmatchcase(decoded, g) for g in self.folders):
            return False
        return not any(fnmatch.fnmatchcase(decoded, g) for g in self.exclude)


class Throttle:
    """--max-bytes-per-second across all of an account's folder workers."""

    def __init__(self, rate: float | None) -> None:
        self.rate, self.began, self.sent = rate, time.monotonic(), 0
        self.lock = threading.Lock()

    def spent(self, n: int) -> None:
        if not self.rate:
            return
        with self.lock:
            self.sent += n
            ahead = self.sent / self.rate - (time.monotonic() - self.began)
        if ahead > 0:
            time.sleep(ahead)


def run_account(
    accounts: AccountsFile,
    account: Account,
    state: MigrationState,
    *,
    filters: Filters | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    key: str | None = None,
) -> AccountResult:
    """Copy one account; errors naming account and folder end up in ``result.error``, never lost work.
    ``mapper``: how folders map (default: map_folders); ``key``: the account's name in the state
    (default: the source user; a rollback keeps its own records)."""
    filters = filters or Filters()
    result = AccountResult(account.source_user, account.destination_user, dry_run=dry_run)
    began = time.monotonic()
    done: dict[str, FolderResult] = {}
    tally = destination_tally(accounts, account, state)
    for attempt in range(RETRIES + 1):
        try:
            _copy_account(accounts, account, state, filters, dry_run, progress, done, mapper, key, tally)
            break
        except DailyCapReached as exc:
            result.paused = exc.one_line()
            break
        except (Dropped, ImapDropped, ImapUnreachable) as exc:  # reconnect, redo the folder
            what = _lost(account.source_user, exc)
            if attempt == RETRIES:
                result.error = f"{what}; {RETRIES} reconnections failed: run again to resume (nothing copied is lost)"
                break
            wait = min(60, 2**attempt)
            logger.warning("%s; reconnecting in %d s", what, wait)
            time.sleep(wait)
        except ImapRefused as exc:  # an unexpected NO or BAD before any folder was taken up
            result.error = f"{account.source_user}: the server answered {exc.reply} (run again to resume)"
            break
        except MailvaultError as exc:
            result.error = exc.one_line()
            break
    result.folders = list(done.values())
    result.seconds = round(time.monotonic() - began, 3)
    return result


def destination_tally(accounts: AccountsFile, account: Account, state: MigrationState) -> DailyTally:
    """The destination provider's caps with what this mailbox took of its daily cap in the last 24 h."""
    mailbox = f"{accounts.destination.host}/{account.destination_user}"
    history = state.uploads(mailbox, time.time() - DAY) if accounts.destination.preset else []
    return DailyTally(destination_caps(accounts.destination.preset), history, who=account.source_user, mailbox=mailbox)


RUN_MARK = "run"  # the state cursor of a folder `run` copied completely: see run_mark


def run_mark(status: dict[str, int | str]) -> str:
    """What a folder's STATUS says about new mail: ``"UIDVALIDITY:UIDNEXT:MESSAGES"``. Taken before a
    folder is copied and recorded once it was copied completely (nothing refused, skipped or filtered
    out), it lets the next run skip the folder while it is unchanged: no message can have arrived
    without moving UIDNEXT.

    >>> run_mark({"UIDVALIDITY": 7, "UIDNEXT": 1201, "MESSAGES": 1200})
    '7:1201:1200'
    """
    return f"{int(status['UIDVALIDITY'])}:{int(status['UIDNEXT'])}:{int(status['MESSAGES'])}"


def _lost(user: str, exc: BaseException) -> str:
    """``alice@example.com: connection lost while copying folder 'Archive/2025' ([Errno 32] Broken pipe)``"""
    if isinstance(exc, ImapUnreachable):
        return exc.message  # names the account and the server already
    return f"{user}: {exc}" if isinstance(exc, Dropped) else f"{user}: connection lost ({exc})"


@dataclass
class _Survey:
    """What one account's copy starts from: the folders wanted, those still to copy, their counts
    and their run marks (STATUS before the copy)."""

    mappings: list[Mapping]
    todo: list[Mapping]
    totals: dict[str, int]
    marks: dict[str, str]


def _copy_account(
    accounts: AccountsFile,
    account: Account,
    state: MigrationState,
    filters: Filters,
    dry_run: bool,
    progress: Progress | None,
    done: dict[str, FolderResult],
    mapper: Mapper | None,
    key: str | None,
    tally: DailyTally,
) -> None:
    user = key or account.source_user
    with session_pair(accounts, account) as (src, dst):  # (refused if one account: the workers' need not ask)
        survey = _survey(src, dst, accounts, state, filters, dry_run, done, mapper, user)
    lock = threading.Lock()
    unchanged = sum(
        survey.totals[m.source]
        for m in survey.mappings
        if m not in survey.todo and not done[m.source].copied and not done[m.source].error
    )
    counted = _Counted(user, progress, sum(survey.totals.values()), lock)
    counted.tick(sum(r.copied + r.found_on_destination for r in done.values()) + unchanged, 0, report=False)
    tick = counted.tick
    throttle = Throttle(pace(filters.max_bytes_per_second, tally.caps))

    queue = sorted(survey.todo, key=lambda m: -survey.totals[m.source])  # the largest first: workers end together
    # Gmail's All Mail holds every message of every label: it goes after them all, so that what they
    # brought is known and only what no label held is copied from it.
    last = [m for m in queue if m.dedupe_account]
    queue = [m for m in queue if not m.dedupe_account]

    def worker() -> None:
        with session_pair(accounts, account, same_checked=True) as (src, dst):
            while True:
                with lock:
                    if not queue:
                        return
                    m = queue.pop(0)
                    folder = _take_up(done, m)
                with _translated(user, folder):
                    copy_folder(src, dst, m, state, user, folder, filters, dry_run, tick, throttle, tally,
                                batch=(accounts.options.batch_messages, accounts.options.batch_bytes))  # fmt: skip
                folder.finished = True
                if not dry_run and filters.since is None and not folder.rejected and not folder.skipped:
                    state.set_cursor(user, m.source, RUN_MARK, survey.marks[m.source])

    if not queue and not last:
        counted.tick(0, 0)
        return
    limits = (accounts.options.parallel_folders, accounts.source.connections, accounts.destination.connections)
    for round_ in (list(queue), last):
        if round_:
            queue[:] = round_
            _workers(worker, connections(min(*limits, len(queue)), tally.caps))


@contextlib.contextmanager
def _translated(user: str, folder: FolderResult) -> Iterator[None]:
    """A dropped connection is Dropped (the account reconnects and redoes the folder); an unexpected
    NO or BAD (not an APPEND's refusal) is an ImapError naming the account and folder."""
    try:
        yield
    except ImapDropped as exc:
        raise Dropped(folder.source, exc.__cause__ or exc) from exc
    except ImapRefused as exc:
        raise ImapError(
            f"{user}: copying folder {folder.source!r} failed: {exc.reply}",
            hint="see the server's log; run again to resume",
        ) from exc


def _workers(worker: Callable[[], None], count: int) -> None:
    """``count`` workers taking folders from one queue; the first one's error is the account's (the
    others finish their folder)."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(worker) for _ in range(count)]:
            future.result()


class _Counted:
    """An account's progress: messages accounted for (copied, found there, or unchanged) and bytes
    copied, reported as they change, from every worker."""

    def __init__(self, user: str, progress: Progress | None, total: int, lock: threading.Lock) -> None:
        self.user, self.progress, self.total, self.lock = user, progress, total, lock
        self.messages = self.bytes = 0

    def tick(self, messages: int, nbytes: int, *, report: bool = True) -> None:
        with self.lock:
            self.messages += messages
            self.bytes += nbytes
            if report and self.progress is not None:
                self.progress(self.user, self.messages, self.bytes, self.total)


def _take_up(done: dict[str, FolderResult], m: Mapping) -> FolderResult:
    """A fresh result for folder ``m``, keeping what an earlier attempt (before a dropped connection)
    copied; its refusals are retried. Called under the account's lock."""
    earlier = done.get(m.source)
    folder = FolderResult(utf7.decode(m.source), utf7.decode(m.destination))
    done[m.source] = folder
    if earlier is not None:
        folder.copied, folder.bytes = earlier.copied, earlier.bytes
        folder.found_on_destination = earlier.found_on_destination
    return folder


def _survey(
    src: ImapSession, dst: ImapSession, accounts: AccountsFile, state: MigrationState, filters: Filters,
    dry_run: bool, done: dict[str, FolderResult], mapper: Mapper | None, user: str,
) -> _Survey:  # fmt: skip
    """Map the folders, read each one's STATUS, skip those a run copied completely and that are
    unchanged since, and create the destination folders still to copy (a folder that cannot be
    created is reported; the others are still copied)."""
    sides = describe(src), describe(dst)
    plan = mapper(*sides) if mapper else map_folders(*sides, preset=accounts.options.preset)
    subs = subscribed(src)
    mappings = [m for m in plan.mappings if filters.wants(utf7.decode(m.source))]
    if plan.collisions:
        names = "; ".join(f"{', '.join(s)} -> {d}" for d, s in plan.collisions.items())
        raise MailvaultError(f"{user}: folders would merge ({names})", hint="see `mailvault migrate plan`")
    status = {m.source: src.status(m.source, ["MESSAGES", "UIDNEXT", "UIDVALIDITY"]) for m in mappings}
    totals = {name: int(st["MESSAGES"]) for name, st in status.items()}
    marks = {name: run_mark(st) for name, st in status.items()}
    for m in mappings:  # copied completely, and no message has arrived since: one STATUS is enough
        if m.source not in done and state.cursor(user, m.source, RUN_MARK) == marks[m.source]:
            done[m.source] = FolderResult(utf7.decode(m.source), utf7.decode(m.destination), finished=True)
    todo = [m for m in mappings if not (m.source in done and done[m.source].finished)]
    if not dry_run:
        for m in list(todo):
            try:
                ensure_folder(dst, m, subscribe=m.source in subs, user=user)
            except ImapError as exc:  # that folder cannot be copied; the others still are
                done[m.source] = FolderResult(utf7.decode(m.source), utf7.decode(m.destination), error=exc.one_line())
                todo.remove(m)
    return _Survey(mappings, todo, totals, marks)


@contextlib.contextmanager
def session_pair(
    accounts: AccountsFile, account: Account, *, same_checked: bool = False
) -> Iterator[tuple[ImapSession, ImapSession]]:
    """Logged in on both servers, INTERNALDATEs as aware datetimes; refused when the destination is
    the source's own account (unless ``same_checked``: an earlier pair of this run was checked)."""
    with (
        session(accounts.source, account.source_user, account.secret("source"), role="source") as src,
        session(accounts.destination, account.destination_user, account.secret("destination"),
                role="destination") as dst,
    ):  # fmt: skip
        if not same_checked:
            refuse_same_mailbox(src, dst, accounts, account)
        yield src, dst


def ensure_folder(dst: ImapSession, m: Mapping, *, subscribe: bool, user: str) -> None:
    if m.destination != "INBOX" and not dst.folder_exists(m.destination):
        try:
            dst.create(m.destination)
        except ImapRefused as exc:
            if not dst.folder_exists(m.destination):
                raise ImapError(
                    f"{user}: the destination refused to create folder {utf7.decode(m.destination)!r}: {exc.reply}",
                    hint="check the name against the destination's rules, or exclude it with --exclude",
                ) from exc
    if subscribe:
        with contextlib.suppress(ImapRefused):
            dst.subscribe(m.destination)


def copy_folder(
    src: ImapSession,
    dst: ImapSession,
    m: Mapping,
    state: MigrationState,
    user: str,
    folder: FolderResult,
    filters: Filters,
    dry_run: bool,
    tick: Callable[[int, int], None],
    throttle: Throttle,
    tally: DailyTally | None = None,
    batch: tuple[int, int] = (Options.batch_messages, Options.batch_bytes),
) -> None:
    """Copy what of folder ``m`` is not yet on the destination, ``batch`` (messages, bytes) per FETCH."""
    selected = src.select(m.source, readonly=True)
    uidvalidity = selected.uidvalidity
    criteria: list[Any] = ["SINCE", filters.since] if filters.since else ["ALL"]
    uids = src.search(criteria) if selected.exists else []
    known = state.copied(user, m.source, uidvalidity)
    if not known and uids:
        state.forget_folder(user, m.source)  # rows under another UIDVALIDITY: those UIDs are gone
    pending = [u for u in uids if u not in known]
    folder.pending = len(pending)
    tick(len(uids) - len(pending), 0)
    if not pending:
        return
    pending = _not_there_yet(src, dst, m, pending, state, user, uidvalidity, folder, tick, dry_run=dry_run)
    if dry_run:
        folder.copied = 0
        folder.pending = len(pending)
        return
    sizes = sizes_of(src, pending)
    pending = within_size_limit(pending, sizes, tally.caps if tally else Caps(), folder, user)
    for chosen in _batches(pending, sizes, *batch):
        taken = admit(tally, chosen, sizes)
        confirmed: list[tuple[tuple[int, dict[bytes, Any]], int | None]] = []
        try:
            confirmed = _copy_batch(src, dst, m, taken, sizes, state, user, uidvalidity, folder, tally)
        finally:  # what was taken of the day's cap and not stored goes back (refused, dropped)
            stored = {uid for (uid, _data), _d in confirmed}
            for uid in taken:
                if tally is not None and uid not in stored:
                    tally.give_back(sizes.get(uid, 0))
        nbytes = sum(len(data[b"BODY[]"]) for (_uid, data), _d in confirmed)
        folder.copied += len(confirmed)
        folder.bytes += nbytes
        tick(len(confirmed), nbytes)
        throttle.spent(nbytes)
        if len(taken) < len(chosen) and tally is not None:
            raise tally.reached()


def _not_there_yet(
    src: ImapSession, dst: ImapSession, m: Mapping, pending: list[int], state: MigrationState, user: str,
    uidvalidity: int, folder: FolderResult, tick: Callable[[int, int], None], *, dry_run: bool,
) -> list[int]:  # fmt: skip
    """``pending`` without the messages already on the destination (the state did not know them:
    recorded now) and, for Gmail's All Mail, those a label's folder brought."""
    matched = _reconcile(src, dst, m, pending, state, user)
    if matched and not dry_run:
        state.record(user, m.source, uidvalidity, list(matched.values()))
    folder.found_on_destination += len(matched)
    tick(len(matched), 0)
    pending = [u for u in pending if u not in matched]
    if m.dedupe_account and pending:
        held = _held_elsewhere(src, pending, state, user, m.source)
        folder.held_elsewhere = len(held)
        tick(len(held), 0)
        pending = [u for u in pending if u not in held]
    return pending


def _copy_batch(
    src: ImapSession, dst: ImapSession, m: Mapping, uids: list[int], sizes: dict[int, int], state: MigrationState,
    user: str, uidvalidity: int, folder: FolderResult, tally: DailyTally | None,
) -> list[tuple[tuple[int, dict[bytes, Any]], int | None]]:  # fmt: skip
    """FETCH ``uids``, APPEND them, record those the destination confirmed (and their upload)."""
    if not uids:
        return []
    fetched = src.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])
    messages = [
        (uid, fetched[uid]) for uid in uids if uid in fetched and _whole(uid, fetched[uid], sizes, folder, user)
    ]
    confirmed = append(dst, m.destination, messages, folder, user)
    nbytes = sum(len(data[b"BODY[]"]) for (_uid, data), _d in confirmed)
    uploaded = (tally.mailbox, time.time(), nbytes) if tally is not None and tally.caps.max_bytes_per_day else None
    state.record(user, m.source, uidvalidity, [
        Copied(uid, m.destination, dest_uid, identity_of(data), len(data[b"BODY[]"]))
        for (uid, data), dest_uid in confirmed
    ], uploaded=uploaded)  # fmt: skip
    return confirmed


def _whole(uid: int, data: dict[bytes, Any], sizes: dict[int, int], folder: FolderResult, user: str) -> bool:
    """Whether the source sent the body it announced. One without a body, or of another size than its
    RFC822.SIZE (it changed between the two FETCHes, or the server is broken), is skipped and reported:
    its identity on the destination would not match the source's, and every run would copy it again."""
    body = data.get(b"BODY[]")
    announced = sizes.get(uid)
    if isinstance(body, bytes) and (announced is None or len(body) == announced):
        return True
    reason = (
        "the source sent no body for it"
        if not isinstance(body, bytes)
        else f"the source announced {announced} bytes and sent {len(body)}: it changed, or the server is broken"
    )
    folder.skipped.append(Rejected(folder.source, uid, announced or 0, reason))
    logger.warning("%s %s: UID %d skipped: %s", user, folder.source, uid, reason)
    return False


def within_size_limit(
    pending: list[int], sizes: dict[int, int], caps: Caps, folder: FolderResult, user: str
) -> list[int]:
    """``pending`` without the messages over the destination provider's size limit (reported as skipped)."""
    kept = []
    for uid in pending:
        reason = too_large(caps, sizes.get(uid, 0))
        if reason is None:
            kept.append(uid)
            continue
        folder.skipped.append(Rejected(folder.source, uid, sizes[uid], reason))
        logger.warning("%s %s: UID %d skipped: %s", user, folder.source, uid, reason)
    return kept


def admit(tally: DailyTally | None, batch: list[int], sizes: dict[int, int]) -> list[int]:
    """The first messages of ``batch`` that the day's upload cap still has room for."""
    if tally is None:
        return batch
    taken = []
    for uid in batch:
        if not tally.take(sizes.get(uid, 0)):
            break
        taken.append(uid)
    return taken


def _reconcile(
    src: ImapSession, dst: ImapSession, m: Mapping, pending: list[int], state: MigrationState, user: str
) -> dict[int, Copied]:
    """Pending source messages already on the destination, though the state does not know them
    (a kill between the server's OK and the state write; a lost state; mail that was there)."""
    if not dst.folder_exists(m.destination):
        return {}
    dst.select(m.destination, readonly=True)
    try:
        recorded = state.dest_uids(user, m.destination)
        unknown = [u for u in dst.search() if u not in recorded]
        if not unknown:
            return {}
        src_seen, dst_seen = light_fetch(src, pending), light_fetch(dst, unknown)
        repeated = repeated_ids(src_seen, dst_seen)
        src_ids = side_identities(src, src_seen, repeated)
        dst_ids = side_identities(dst, dst_seen, repeated)
        sizes = {s.uid: s.size for s in src_seen}
        return {u: Copied(u, m.destination, d, src_ids[u], sizes[u]) for u, d in match(src_ids, dst_ids).items()}
    finally:
        dst.unselect()


def _held_elsewhere(src: ImapSession, pending: list[int], state: MigrationState, user: str, folder: str) -> set[int]:
    """Pending UIDs of an All Mail folder whose message was copied from another folder of the account
    (identities as recorded with each copy; each copy answers for one message)."""
    elsewhere = state.identities_elsewhere(user, folder)
    if not elsewhere:
        return set()
    mine = side_identities(src, light_fetch(src, pending), set())  # header hashes where the Message-ID is missing
    return set(match(mine, dict(enumerate(elsewhere))))


def _batches(uids: list[int], sizes: dict[int, int], count: int, nbytes: int) -> Iterator[list[int]]:
    batch: list[int] = []
    held = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= count or held + size > nbytes):
            yield batch
            batch, held = [], 0
        batch.append(uid)
        held += size
    if batch:
        yield batch


def since_date(text: str) -> date:
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise MailvaultError(f"--since {text!r} is not a date", hint="write it like 2024-01-31") from None
