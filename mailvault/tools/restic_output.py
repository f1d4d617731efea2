"""Parsers for restic's output: version, JSON progress lines, snapshots, locks, failures. Pure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from mailvault.errors import ToolError

_VERSION = re.compile(r"restic (\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"restic 0.14.0 compiled with go1.19.8 on linux/amd64"`` -> ``(0, 14, 0)``; None if unrecognised."""
    match = _VERSION.search(text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@dataclass(frozen=True)
class ResticProgress:
    percent: float
    files_done: int
    total_files: int
    bytes_done: int
    total_bytes: int
    seconds_remaining: int | None
    current: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    snapshot_id: str
    files_new: int
    files_changed: int
    files_unmodified: int
    data_added: int
    total_files: int
    total_bytes: int
    duration: float


@dataclass(frozen=True)
class ItemError:
    item: str
    message: str


Event = ResticProgress | Summary | ItemError

# ``restic backup --json -vv`` prints one of these for every file and directory the snapshot holds
# (new, modified and unchanged alike), the item first: the listing of what restic saved, at no extra
# restic call. Dispatched by prefix before any JSON is parsed: there is one line per message.
VERBOSE_PREFIX = '{"message_type":"verbose_status","action":"'
_ITEM = '","item":"'
_ITEM_END = '","duration"'


class SavedFiles:
    """The files a running ``restic backup -vv`` reports saved, by parent directory.

    >>> saved = SavedFiles()
    >>> saved.add(VERBOSE_PREFIX + 'unchanged","item":"/m/cur/a:2,S","duration":0}')
    True
    >>> saved.add(VERBOSE_PREFIX + 'new","item":"/m/cur/","duration":0}')  # a directory
    True
    >>> saved.add(VERBOSE_PREFIX + 'new","item":"/m/new/\\u00fc\\"q","duration":0}')
    True
    >>> saved.by_dir
    {'/m/cur': ['a:2,S'], '/m/new': ['ü"q']}
    >>> saved.add('{"message_type":"status"}')
    False
    """

    def __init__(self) -> None:
        self.by_dir: dict[str, list[str]] = {}
        self.lossy = False  # restic printed a name that was not UTF-8 (as U+FFFD): not comparable

    def add(self, line: str) -> bool:
        """Take one output line; False when it is not a verbose_status line."""
        if not line.startswith(VERBOSE_PREFIX):
            return False
        start = line.find(_ITEM, len(VERBOSE_PREFIX))
        end = line.find(_ITEM_END, start)
        if start < 0 or end < 0:
            return True
        item = line[start + len(_ITEM) : end]
        if item.endswith("/"):
            return True
        if "\\" in item:
            item = json.loads(f'"{item}"')
            self.lossy = self.lossy or "\ufffd" in item
        parent, _, name = item.rpartition("/")
        names = self.by_dir.get(parent)
        if names is None:
            self.by_dir[parent] = [name]
        else:
            names.append(name)
        return True


def parse_backup_line(line: str) -> Event | None:
    """Turn one line of ``restic backup --json`` output into an event; None for anything else.

    >>> parse_backup_line('{"message_type":"error","error":{"Op":"open","Path":"/m/x","Err":13},"item":"/m/x"}')
    ItemError(item='/m/x', message='open: permission denied')
    """
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return _event(data)
    except (TypeError, ValueError):  # a field of another type than restic's: not a line mailvault knows
        return None


def _event(data: dict[str, Any]) -> Event | None:
    kind = data.get("message_type")
    if kind == "status":
        return ResticProgress(
            percent=float(data.get("percent_done", 0.0)),
            files_done=int(data.get("files_done", 0)),
            total_files=int(data.get("total_files", 0)),
            bytes_done=int(data.get("bytes_done", 0)),
            total_bytes=int(data.get("total_bytes", 0)),
            seconds_remaining=data.get("seconds_remaining"),
            current=tuple(data.get("current_files") or ()),
        )
    if kind == "summary":
        return Summary(
            snapshot_id=str(data.get("snapshot_id", "")),
            files_new=int(data.get("files_new", 0)),
            files_changed=int(data.get("files_changed", 0)),
            files_unmodified=int(data.get("files_unmodified", 0)),
            data_added=int(data.get("data_added", 0)),
            total_files=int(data.get("total_files_processed", 0)),
            total_bytes=int(data.get("total_bytes_processed", 0)),
            duration=float(data.get("total_duration", 0.0)),
        )
    if kind == "error":
        return ItemError(item=str(data.get("item", "")), message=_error_text(data.get("error")))
    return None


_ERRNO = {2: "no such file or directory", 5: "input/output error", 13: "permission denied"}


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        op = error.get("Op", "")
        err = error.get("Err")
        text = _ERRNO.get(err, str(err)) if isinstance(err, int) else str(err or error.get("message", ""))
        return f"{op}: {text}" if op else text
    return str(error)


@dataclass(frozen=True)
class Snapshot:
    id: str
    short_id: str
    time: datetime
    hostname: str
    paths: tuple[str, ...]
    tags: tuple[str, ...] = field(default_factory=tuple)
    record: RecordRef | None = None  # where its manifest of record is, when it has one

    def tag_value(self, key: str) -> str | None:
        """The value of a ``key:value`` tag, e.g. ``messages`` -> ``"1234"``."""
        prefix = key + ":"
        for tag in self.tags:
            if tag.startswith(prefix):
                return tag[len(prefix) :]
        return None


def parse_time(text: str) -> datetime:
    """Parse restic's RFC 3339 times, which carry nanoseconds Python does not take."""
    match = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return datetime.fromisoformat(text)
    frac = (match[2] or ".0")[:7]
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(f"{match[1]}{frac}{zone}")


@dataclass(frozen=True)
class RecordRef:
    """A snapshot's manifest of record: the record snapshot holding it, the file's path there, and
    the state and totals its tag gives. A record snapshot tagged ``record:<short id>:<state>:...``
    describes that snapshot; one tagged ``record-run:<nonce>`` (started beside the backup, before the
    snapshot had an id) describes the snapshot carrying the same tag, and is complete."""

    snapshot: str
    path: str
    state: str
    messages: int | None  # None: a record saved beside its backup, whose tags were set before its totals
    bytes: int | None


class ResticOutputError(ToolError):
    """restic printed something that is not what its version documents."""


def parse_snapshots(text: str) -> list[Snapshot]:
    """Parse ``restic snapshots --json`` (mailvault's snapshots and their record snapshots), oldest
    first; each snapshot with the newest record that describes it."""
    try:
        raw = json.loads(text or "[]") or []
        snaps = [
            Snapshot(
                id=str(item["id"]),
                short_id=str(item.get("short_id", item["id"][:8])),
                time=parse_time(item["time"]),
                hostname=str(item.get("hostname", "")),
                paths=tuple(str(p) for p in item.get("paths") or ()),
                tags=tuple(str(t) for t in item.get("tags") or ()),
            )
            for item in raw
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ResticOutputError(f"restic snapshots printed a listing mailvault cannot read ({exc!r})") from None
    snaps.sort(key=lambda s: s.time)
    records: dict[str, RecordRef] = {}  # by the short id of the snapshot described
    by_run: dict[str, RecordRef] = {}  # by the run tag the described snapshot carries too
    for snap in snaps:
        for tag in snap.tags if "mailvault-record" in snap.tags else ():
            parts = tag.split(":")
            if len(parts) == 5 and parts[0] == "record" and _number(parts[3]) and _number(parts[4]):
                path = next((p for p in snap.paths if p.endswith(f"/{parts[1]}.json")), "")
                records[parts[1][:8]] = RecordRef(snap.id, path, parts[2], int(parts[3]), int(parts[4]))
            elif tag.startswith("record-run:") and snap.paths:
                by_run[tag] = RecordRef(snap.id, snap.paths[0], "complete", None, None)
    found = []
    for snap in snaps:
        if "mailvault-record" in snap.tags:
            continue
        # (restic 0.14's backup summary names a snapshot by its short id: records are keyed by it)
        ref = records.get(snap.id[:8]) or next((by_run[t] for t in snap.tags if t in by_run), None)
        found.append(replace(snap, record=ref) if ref else snap)
    return found


def _number(text: str) -> bool:
    return text.isascii() and text.isdecimal()


def orphan_records(text: str) -> list[str]:
    """The record snapshots in ``restic snapshots --json`` (both tags) none of whose snapshots is left:
    what `prune` forgets once retention has forgotten the snapshots they describe.

    >>> import json
    >>> snap = {"id": "aa" * 32, "time": "2026-12-03T01:00:00Z", "tags": ["mailvault"]}
    >>> rec = lambda i, of: {"id": i * 64, "tags": ["mailvault-record", f"record:{of}:complete:1:2"]}
    >>> orphan_records(json.dumps([snap, rec("b", "aaaaaaaa"), rec("c", "dddddddd")]))[0][:8]
    'cccccccc'
    >>> run = {"id": "e" * 64, "tags": ["mailvault-record", "record-run:x1"]}
    >>> orphan_records(json.dumps([{**snap, "tags": ["mailvault", "record-run:x1"]}, run]))
    []
    >>> orphan_records(json.dumps([snap, run]))[0][:8]
    'eeeeeeee'
    """
    raw = [item for item in json.loads(text or "[]") or [] if isinstance(item, dict) and "id" in item]
    backups = [item for item in raw if "mailvault-record" not in (item.get("tags") or ())]
    alive = {item["id"][:8] for item in backups} | {t for item in backups for t in item.get("tags") or ()}
    orphans = []
    for item in raw:
        tags = item.get("tags") or ()
        if "mailvault-record" in tags:
            described = [t.split(":")[1][:8] for t in tags if t.startswith("record:") and t.count(":") == 4]
            described += [t for t in tags if t.startswith("record-run:")]  # (the backup carries the same tag)
            if not any(d in alive for d in described):
                orphans.append(str(item["id"]))
    return orphans


@dataclass(frozen=True)
class Lock:
    id: str
    hostname: str
    pid: int
    exclusive: bool
    time: datetime


def parse_lock(lock_id: str, text: str) -> Lock:
    data = json.loads(text)
    return Lock(
        id=lock_id,
        hostname=str(data.get("hostname", "")),
        pid=int(data.get("pid", 0)),
        exclusive=bool(data.get("exclusive", False)),
        time=parse_time(data["time"]),
    )


@dataclass(frozen=True)
class ForgetResult:
    kept: int
    removed: int
    removed_ids: tuple[str, ...]
    kept_ids: tuple[str, ...] = ()  # full ids


def parse_forget(text: str) -> ForgetResult:
    """Parse the JSON array ``restic forget --json`` prints first (prune's text follows it)."""
    start = text.find("[")
    groups: list[dict[str, Any]] = json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else []
    kept = sum(len(g.get("keep") or []) for g in groups)
    removed = [s.get("short_id", s["id"][:8]) for g in groups for s in (g.get("remove") or [])]
    kept_ids = tuple(str(s["id"]) for g in groups for s in (g.get("keep") or []) if "id" in s)
    return ForgetResult(kept=kept, removed=len(removed), removed_ids=tuple(removed), kept_ids=kept_ids)


Failure = Literal[
    "wrong-password",
    "no-repository",
    "locked",
    "already-initialized",
    "s3-credentials",
    "s3-no-bucket",
    "s3-denied",
    "unknown",
]
_S3_CREDENTIALS = (
    "access key ID you provided does not exist",
    "signature we calculated does not match",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
)


def classify_failure(returncode: int, stderr: str) -> Failure:
    """Name what went wrong from restic's exit code (0.17+: 10, 11, 12) or its stderr (0.14)."""
    if any(text in stderr for text in _S3_CREDENTIALS):
        return "s3-credentials"
    if "The specified bucket does not exist" in stderr or "NoSuchBucket" in stderr:
        return "s3-no-bucket"
    if "Access Denied" in stderr:
        return "s3-denied"
    if returncode == 12 or "wrong password" in stderr:
        return "wrong-password"
    if returncode == 10 or "Is there a repository at the following location?" in stderr:
        return "no-repository"
    if returncode == 11 or "repository is already locked" in stderr:
        return "locked"
    if "config file already exists" in stderr or "repository master key and config already initialized" in stderr:
        return "already-initialized"
    return "unknown"


def check_ok(stdout: str) -> bool:
    return "no errors were found" in stdout


def current_key_id(text: str) -> str | None:
    """The id of the key the password opened, from ``restic key list --json``.

    >>> current_key_id('[{"current": false, "id": "aa"}, {"current": true, "id": "bb"}]')
    'bb'
    """
    try:
        keys = json.loads(text)
    except ValueError:
        return None
    for key in keys if isinstance(keys, list) else []:
        if isinstance(key, dict) and key.get("current"):
            return str(key.get("id"))
    return None


def key_count(text: str) -> int:
    try:
        keys = json.loads(text)
    except ValueError:
        return 0
    return len(keys) if isinstance(keys, list) else 0
