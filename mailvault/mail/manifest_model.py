"""The manifest's data model and its versioned JSON form. Pure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

FORMAT = "mailvault-manifest"
# 2: manifests written by a backup that reconciles with what restic saved. A version 2 snapshot
# whose contents differ from its manifest has a manifest of record beside it (mail.record);
# a version 1 snapshot predates that and cannot tell an expunge during its run from a loss.
VERSION = 2
# What a manifest states: the scan before restic ran, or what the snapshot holds (the record).
SCANNED, COMPLETE, PARTIAL, SUPERSEDED, UNRECONCILED = "scanned", "complete", "partial", "superseded", "unreconciled"
INCOMPLETE = "incomplete"  # restic could not read files that are still there: they are not in it


def dump_json(value: Any) -> str:
    r"""JSON with non-ASCII text as it is, except a name that is not UTF-8 on disk (a surrogate escape
    in Python), which only an escape can carry: it comes back the same from ``json.loads``.

    >>> dump_json("Entw\u00fcrfe"), dump_json("caf\udce9")
    ('"Entwürfe"', '"caf\\udce9"')
    """
    text = json.dumps(value, ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value)
    return text


@dataclass(frozen=True)
class FolderEntry:
    name: str
    display: str
    messages: int
    bytes: int
    newest: str | None
    uidvalidity: int | None
    digest: str  # "" when a size is unknown (a file that came and went during the run): not compared
    newest_file: str | None = None  # with a record: which file ``newest`` is the mtime of ("cur/…")
    flags: str = ""  # mail.maildir_flags.flags_digest of the files; "" in manifests made before it: not compared


@dataclass(frozen=True)
class MailboxEntry:
    name: str
    path: str
    folders: list[FolderEntry]

    @property
    def messages(self) -> int:
        return sum(f.messages for f in self.folders)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.folders)


@dataclass(frozen=True)
class SampleEntry:
    mailbox: str
    folder: str
    base: str
    size: int
    sha256: str
    sha256_crlf: str


@dataclass
class Churn:
    """What changed in the store while restic read it, as the reconciliation found it.

    ``arrived``: in the snapshot, not scanned; ``reflagged``: in both under another name (a flag
    change or a ``new/`` to ``cur/`` move); ``expunged``: scanned, not in the snapshot, gone from disk;
    ``missed``: scanned and still on disk but not in the snapshot (the walk crossed a rename);
    ``caught``: missed by a first pass and saved by the catch-up pass; ``vanished``: files restic
    listed and then could not read because they had been renamed or expunged (its exit code 3).
    """

    arrived: int = 0
    reflagged: int = 0
    expunged: int = 0
    missed: int = 0
    caught: int = 0
    vanished: int = 0

    def any(self) -> bool:
        return any(self.__dict__.values())

    def text(self) -> str:
        """
        >>> Churn(arrived=3, expunged=1).text()
        '3 arrived, 0 flag changes, 1 expunged, 0 missed and caught'
        """
        return (
            f"{self.arrived} arrived, {self.reflagged} flag changes, {self.expunged} expunged,"
            f" {self.caught} missed and caught"
        )


@dataclass(frozen=True)
class Totals:
    mailboxes: int
    folders: int
    messages: int
    bytes: int


@dataclass
class Manifest:
    created: str
    hostname: str
    roots: list[str]
    mailboxes: list[MailboxEntry]
    samples: list[SampleEntry] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    folder_layout: str = "maildir++"  # how folders sit on disk: "maildir++" (.Sent) or "fs" (Sent/)
    version: int = VERSION
    # The record: what the snapshot holds (see mail.reconcile). ``state`` is SCANNED for the scan
    # written into the snapshot before restic ran.
    state: str = SCANNED
    snapshot: str | None = None
    churn: Churn = field(default_factory=Churn)
    missed: list[str] = field(default_factory=list)  # message files the snapshot lacks (partial)
    superseded_by: str | None = None

    @property
    def totals(self) -> Totals:
        return Totals(
            mailboxes=len(self.mailboxes),
            folders=sum(len(m.folders) for m in self.mailboxes),
            messages=sum(m.messages for m in self.mailboxes),
            bytes=sum(m.bytes for m in self.mailboxes),
        )

    def to_json(self) -> str:
        """The versioned JSON form: one line per folder and sample, so it diffs and greps well.

        Built by hand: ``dataclasses.asdict`` deep-copies and costs 0.1 s on a 50,000-message store.
        """
        head: dict[str, Any] = {
            "format": FORMAT,
            "version": self.version,
            "created": self.created,
            "hostname": self.hostname,
            "roots": self.roots,
            "folder_layout": self.folder_layout,
            "totals": asdict(self.totals),
            "unreadable": self.unreadable,
            "state": self.state,
            "snapshot": self.snapshot,
            "churn": asdict(self.churn),
            "missed": self.missed,
            "superseded_by": self.superseded_by,
        }
        dump = dump_json
        mailboxes = ",\n".join(
            f'{{"name": {dump(m.name)}, "path": {dump(m.path)}, "folders": [\n  '
            + ",\n  ".join(dump(f.__dict__) for f in m.folders)
            + "]}"
            for m in self.mailboxes
        )
        samples = ",\n".join(dump(x.__dict__) for x in self.samples)
        return f'{dump(head)[:-1]},\n"mailboxes": [\n{mailboxes}],\n"samples": [\n{samples}]}}\n'

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raise ValueError for another format or a newer version."""
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("not a mailvault manifest")
        if int(data.get("version", 0)) > VERSION:
            raise ValueError(f"manifest version {data['version']} is newer than this mailvault understands")
        return cls(
            created=data["created"],
            hostname=data["hostname"],
            roots=list(data["roots"]),
            mailboxes=[
                MailboxEntry(m["name"], m["path"], [_known(FolderEntry, f) for f in m["folders"]])
                for m in data["mailboxes"]
            ],
            samples=[_known(SampleEntry, s) for s in data.get("samples", [])],
            unreadable=list(data.get("unreadable", [])),
            folder_layout=str(data.get("folder_layout", "maildir++")),
            version=int(data.get("version", 1)),
            state=str(data.get("state", SCANNED)),
            snapshot=data.get("snapshot"),
            churn=Churn(**data.get("churn", {})),
            missed=list(data.get("missed", [])),
            superseded_by=data.get("superseded_by"),
        )


def _known(kind: Any, data: dict[str, Any]) -> Any:
    """``kind(**data)`` without the keys a later mailvault added: a newer manifest of the same version
    is still read, its new facts left aside."""
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in names})
