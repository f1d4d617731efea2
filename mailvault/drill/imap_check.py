"""The drill's IMAP check: the restored store, served by Dovecot, against the manifest.

Per folder: EXISTS equals the manifest's count; the sum of RFC822.SIZE equals the virtual size
of the restored files; every sampled message is fetched (BODY.PEEK[], never printed) and its
SHA-256 equals the hash of its CRLF form taken at backup time. Mailboxes are checked over a few
connections at once (Dovecot indexes each in its own process), the largest first: its first
successful SELECT is the moment the restored server is ready (``t_ready``).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mailvault.drill.judge import Finding, Level
from mailvault.drill.lint import FolderFacts
from mailvault.errors import ImapDropped, ImapError, ImapRefused
from mailvault.imap.client import ImapSession
from mailvault.imap.connect import connect, login
from mailvault.mail.hash_index import Index
from mailvault.mail.maildir import read_uidlist
from mailvault.mail.manifest_model import FolderEntry, Manifest


@dataclass
class ImapOutcome:
    findings: list[Finding] = field(default_factory=list)
    t_ready: float | None = None  # time.monotonic() of the first SELECT of the largest mailbox
    folders: int = 0
    messages: int = 0
    samples: int = 0
    share_proven: int = 0  # messages of the coverage share read back and matching their backup-time hash
    share_absent: int = 0  # of the share, not in the restored folder (the counts judge those)
    share_differ: int = 0
    first_select: dict[str, float] = field(default_factory=dict)  # mailbox -> monotonic time of its first SELECT
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # (mailbox, folder) -> sum of RFC822.SIZE
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


CONNECTIONS = 4
BLIND = os.environ.get("MAILVAULT_TEST_BLIND_VERIFIER", "")  # tests only: see _samples


def check(
    port: int,
    password: str,
    manifest: Manifest,
    facts: list[FolderFacts],
    *,
    on_folder: Callable[[int, int], None] | None = None,
    mismatch: Level = "fail",
    share: Index | None = None,
) -> ImapOutcome:
    """Log in to every mailbox of the drill's Dovecot on 127.0.0.1:``port`` and check each folder;
    read back the coverage ``share`` (mailbox, folder) -> base name -> backup-time hash too."""
    outcome = ImapOutcome()
    share = share or {}
    expected = {(m.name, f.name): f for m in manifest.mailboxes for f in m.folders}
    by_mailbox: dict[str, list[FolderFacts]] = {}
    for fact in facts:
        by_mailbox.setdefault(fact.mailbox, []).append(fact)
    order = sorted(by_mailbox, key=lambda name: -sum(f.messages for f in by_mailbox[name]))
    done = [0]

    def one(mailbox: str) -> None:
        try:
            client = connect("127.0.0.1", port, tls="none", timeout=60)  # names as on disk: modified UTF-7
            login(client, mailbox, password, where="the drill's Dovecot")
        except ImapError as exc:
            with outcome.lock:
                outcome.findings.append(Finding("fail", "verify", exc.one_line()))
            return
        try:
            for fact in by_mailbox[mailbox]:
                entry = expected.get((mailbox, fact.imap_name))
                _folder(client, fact, entry, manifest, outcome, mismatch, share.get((mailbox, fact.imap_name), {}))
                with outcome.lock:
                    done[0] += 1
                    if on_folder is not None:
                        on_folder(done[0], len(facts))
        except (ImapRefused, ImapDropped) as exc:  # the server failed a command or dropped the connection
            with outcome.lock:
                outcome.findings.append(Finding("fail", "verify", (
                    f"{mailbox}: the IMAP check stopped at folder {fact.imap_name}: {exc}"
                )))  # fmt: skip
        finally:
            client.logout()

    with ThreadPoolExecutor(max_workers=max(1, min(CONNECTIONS, len(order)))) as pool:
        list(pool.map(one, order))  # in order: the largest mailbox is asked for first
    if order:
        largest = outcome.first_select.get(order[0])
        outcome.t_ready = largest if largest is not None else min(outcome.first_select.values(), default=None)
    return outcome


def _folder(
    client: ImapSession, fact: FolderFacts, entry: FolderEntry | None, manifest: Manifest, outcome: ImapOutcome,
    mismatch: Level, share: dict[str, str],
) -> None:  # fmt: skip
    expected = entry.messages if entry else 0
    where = f"{fact.mailbox} {fact.imap_name}"
    try:
        selected = client.select(fact.imap_name, readonly=True)
    except ImapRefused as exc:
        with outcome.lock:
            outcome.findings.append(Finding("fail", "verify", f"{where}: SELECT failed over IMAP: {exc.reply}"))
        return
    found: list[Finding] = []
    now = time.monotonic()
    exists = selected.exists
    with outcome.lock:
        outcome.first_select.setdefault(fact.mailbox, now)
        outcome.folders += 1
        outcome.messages += exists
    if exists != expected:
        found.append(Finding(mismatch, "verify", f"{where}: {exists} messages over IMAP, the manifest says {expected}"))
    served = selected.uidvalidity
    if entry is not None and entry.uidvalidity is not None and served and served != entry.uidvalidity:
        found.append(Finding("fail", "verify", (
            f"{where}: served with UIDVALIDITY {served}, backed up as {entry.uidvalidity}: Dovecot did not"
            " accept the restored dovecot-uidlist (see its log) and clients would download the folder again"
        )))  # fmt: skip
    if exists:
        sizes = client.fetch(client.search(), ["RFC822.SIZE"])
        with outcome.lock:  # judged by size_findings once the lint has counted the files' virtual sizes
            outcome.sizes[(fact.mailbox, fact.imap_name)] = sum(int(v[b"RFC822.SIZE"]) for v in sizes.values())
    here = (fact.mailbox, fact.imap_name)
    samples = {s.base: s.sha256_crlf for s in manifest.samples if (s.mailbox, s.folder) == here}
    uids = read_uidlist(fact.path) if samples or share else {}
    sampled = _read_back(client, uids, samples, where, found, "sampled message") if samples else _ReadBack()
    for b in sampled.absent:
        found.append(Finding("fail", "verify", f"{where}: sampled message {b} is not served"))
    shared = _read_back(client, uids, share, where, found, "message") if share else _ReadBack()
    with outcome.lock:
        outcome.findings += found
        outcome.samples += sampled.matched + sampled.differ
        outcome.share_proven += shared.matched
        outcome.share_absent += len(shared.absent)
        outcome.share_differ += shared.differ


def size_findings(sizes: dict[tuple[str, str], int], facts: list[FolderFacts]) -> list[Finding]:
    """Each folder's RFC822.SIZE sum over IMAP (:attr:`ImapOutcome.sizes`) against the virtual size of
    its restored files (the lint's ``facts``): a failure for every folder where they differ.

    >>> from pathlib import Path
    >>> fact = FolderFacts("a@x.org", "INBOX", 2, 300, Path("/r"))
    >>> size_findings({("a@x.org", "INBOX"): 300}, [fact])
    []
    >>> size_findings({("a@x.org", "INBOX"): 299}, [fact])[0].message
    'a@x.org INBOX: 299 bytes over IMAP, the restored files hold 300'
    """
    found = []
    for fact in facts:
        total = sizes.get((fact.mailbox, fact.imap_name))
        if total is not None and total != fact.virtual_bytes:
            where = f"{fact.mailbox} {fact.imap_name}"
            found.append(Finding("fail", "verify", (
                f"{where}: {total} bytes over IMAP, the restored files hold {fact.virtual_bytes}"
            )))  # fmt: skip
    return found


@dataclass
class _ReadBack:
    matched: int = 0
    differ: int = 0
    absent: list[str] = field(default_factory=list)


BATCH = 100  # messages per UID FETCH


def _read_back(
    client: ImapSession, uids: dict[str, int], wanted: dict[str, str], where: str, found: list[Finding], what: str
) -> _ReadBack:
    """Fetch each wanted message (base name -> hash of its CRLF form at backup time) by its UID in the
    restored uidlist and compare; a difference is a failure naming the message, never printing it."""
    out = _ReadBack()
    by_uid = {}
    for b, digest in wanted.items():
        uid = uids.get(b)
        if uid is None:
            out.absent.append(b)
        else:
            by_uid[uid] = (b, digest)
    ordered = sorted(by_uid)
    for first in range(0, len(ordered), BATCH):
        fetched = client.fetch(ordered[first : first + BATCH], ["BODY.PEEK[]"])
        for uid in ordered[first : first + BATCH]:
            b, digest = by_uid[uid]
            if uid not in fetched:  # in the restored uidlist, but its file is not in the snapshot
                out.absent.append(b)
                continue
            body = fetched[uid].get(b"BODY[]")
            # (tests only: a verifier that cannot see, for the negative controls to catch)
            if BLIND == "sample-hashes" or (body is not None and hashlib.sha256(body).hexdigest() == digest):
                out.matched += 1
                continue
            out.differ += 1
            found.append(Finding("fail", "verify", f"{where}: {what} {b} differs from the one backed up (SHA-256)"))
    return out
