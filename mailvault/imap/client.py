"""The IMAP door: a logged-in session's commands, typed, with the server's answers as mailvault errors.

Nothing outside ``imap/`` touches imapclient. A command the server answers with NO or BAD raises
:class:`~mailvault.errors.ImapRefused`; a connection lost mid-command (a reset, a timeout, a BYE)
raises :class:`~mailvault.errors.ImapDropped`. Folder names go on the wire as given: callers hold
them in modified UTF-7 (``mail/utf7.py``), as LIST returns them. INTERNALDATEs come back as
aware datetimes, in the zone the server gave.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from mailvault.errors import ImapDropped, ImapRefused
from mailvault.imap.folders import ListedFolder
from mailvault.mail import utf7

FetchData = dict[bytes, Any]  # one message's FETCH answer: b"BODY[]", b"FLAGS", b"INTERNALDATE", ...


@dataclass(frozen=True)
class Selected:
    """What SELECT (or EXAMINE) said about a folder."""

    exists: int
    uidvalidity: int
    uidnext: int


@contextlib.contextmanager
def answers(command: str) -> Iterator[None]:
    """imapclient's and the socket's exceptions as mailvault's: dropped first (an abort is also an
    IMAPClientError), then refused."""
    try:
        yield
    except (IMAPClientAbortError, OSError) as exc:
        raise ImapDropped(f"connection lost during {command} ({exc})") from exc
    except IMAPClientError as exc:
        raise ImapRefused(command, _text(exc.args[0]) if exc.args else "", login=isinstance(exc, LoginError)) from exc


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class ImapSession:
    """One connection to one server (logged in once :meth:`login` returned)."""

    def __init__(self, client: IMAPClient) -> None:
        self._client = client
        client.folder_encode = False  # names stay as on the wire (modified UTF-7)
        client.normalise_times = False  # INTERNALDATE keeps its zone: a copy keeps the very same date

    # -- the session ---------------------------------------------------------------------------
    def capable(self, name: str) -> bool:
        with answers("CAPABILITY"):
            return bool(self._client.has_capability(name))

    def login(self, user: str, secret: str, *, method: str = "login") -> None:
        """LOGIN (``method`` "login"), AUTHENTICATE PLAIN ("plain") or XOAUTH2 ("xoauth2")."""
        with answers("LOGIN"):
            if method == "xoauth2":
                self._client.oauth2_login(user, secret)
            elif method == "plain":
                self._client.plain_login(user, secret)
            else:
                self._client.login(user, secret)

    def logout(self) -> None:
        """LOGOUT, never raising: the session is over either way."""
        with contextlib.suppress(OSError, IMAPClientError):
            self._client.logout()

    # -- folders -------------------------------------------------------------------------------
    def personal_namespace(self) -> tuple[str, str | None] | None:
        """(prefix, delimiter) of the first personal namespace; None when the server has no NAMESPACE."""
        if not self.capable("NAMESPACE"):
            return None
        with answers("NAMESPACE"):
            personal = self._client.namespace().personal
        if not personal:
            return None
        return _text(personal[0][0]), _text(personal[0][1]) if personal[0][1] else None

    def list_folders(self, reference: str = "", pattern: str = "*") -> list[ListedFolder]:
        with answers("LIST"):
            listed = self._client.list_folders(reference, pattern)
        return [_listed(item) for item in listed]

    def list_subscribed(self) -> list[ListedFolder]:
        with answers("LSUB"):
            listed = self._client.list_sub_folders()
        return [_listed(item) for item in listed]

    def folder_exists(self, name: str) -> bool:
        with answers("LIST"):
            return bool(self._client.folder_exists(name))

    def create(self, name: str) -> None:
        with answers(f"CREATE {name}"):
            self._client.create_folder(name)

    def subscribe(self, name: str) -> None:
        with answers(f"SUBSCRIBE {name}"):
            self._client.subscribe_folder(name)

    def unsubscribe(self, name: str) -> None:
        with answers(f"UNSUBSCRIBE {name}"):
            self._client.unsubscribe_folder(name)

    def status(self, name: str, items: Sequence[str]) -> dict[str, int | str]:
        """STATUS ``items`` of folder ``name``: ``{"MESSAGES": 12, "X-GUID": "..."}``."""
        with answers(f"STATUS {name}"):
            answer = self._client.folder_status(name, [i.encode() for i in items])
        return {_text(k).upper(): (int(v) if isinstance(v, int) else _text(v)) for k, v in answer.items()}

    def quota_of_inbox(self) -> tuple[int, int | None] | None:
        """(used, limit) of INBOX's STORAGE quota in units of 1024 octets (RFC 2087); None when the
        server has no QUOTA or does not say; (0, None) when it reports no storage limit."""
        if not self.capable("QUOTA"):
            return None
        try:
            with answers("GETQUOTAROOT INBOX"):
                _roots, quotas = self._client.get_quota_root("INBOX")
        except ImapRefused:
            return None
        for q in quotas:
            if str(q.resource).upper() == "STORAGE":
                return int(q.usage), int(q.limit)
        return 0, None

    # -- one folder's messages -----------------------------------------------------------------
    def select(self, name: str, *, readonly: bool = True) -> Selected:
        with answers(f"{'EXAMINE' if readonly else 'SELECT'} {name}"):
            answer = self._client.select_folder(name, readonly=readonly)
        return Selected(int(answer.get(b"EXISTS", 0)), int(answer.get(b"UIDVALIDITY", 0)),
                        int(answer.get(b"UIDNEXT", 0)))  # fmt: skip

    def unselect(self) -> None:
        """Leave the selected folder without expunging anything (UNSELECT, else EXAMINE INBOX: CLOSE
        would expunge what is flagged \\Deleted in a folder selected read-write)."""
        if self.capable("UNSELECT"):
            with answers("UNSELECT"):
                self._client.unselect_folder()
        else:
            self.select("INBOX", readonly=True)

    def search(self, criteria: Sequence[Any] = ("ALL",)) -> list[int]:
        """UID SEARCH, sorted."""
        with answers("SEARCH"):
            return sorted(int(u) for u in self._client.search(list(criteria)))

    def fetch(self, uids: Iterable[int], items: Sequence[str]) -> dict[int, FetchData]:
        """UID FETCH ``items`` of ``uids``: uid -> that message's answer (uids the server no longer
        has are absent)."""
        wanted = list(uids)
        if not wanted:
            return {}
        with answers("FETCH"):
            return {int(uid): data for uid, data in self._client.fetch(wanted, list(items)).items()}

    def set_flags(self, uids: Sequence[int], flags: Sequence[bytes]) -> None:
        with answers("STORE FLAGS"):
            self._client.set_flags(list(uids), list(flags), silent=True)

    # -- putting messages ----------------------------------------------------------------------
    def append(self, folder: str, body: bytes, flags: Sequence[bytes | str], when: datetime | None) -> bytes:
        """APPEND; the server's answer (``[APPENDUID v uid] ...``)."""
        with answers(f"APPEND {folder}"):
            answer = self._client.append(folder, body, flags=list(flags), msg_time=when)
        return answer if isinstance(answer, bytes) else str(answer).encode()

    def multiappend(self, folder: str, items: list[dict[str, Any]]) -> bytes:
        """MULTIAPPEND (RFC 3502) ``items`` (``{"msg", "flags", "date"}``) in one command.

        imapclient's ``multiappend`` returns the server's NO (``('NO', [b'[OVERQUOTA] ...'])``)
        instead of raising it, and only sends a folder name it encoded itself (so it gets the
        decoded name)."""
        self._client.folder_encode = True
        try:
            with answers(f"APPEND {folder}"):
                answer = self._client.multiappend(utf7.decode(folder), items)
        finally:
            self._client.folder_encode = False
        if isinstance(answer, tuple) and len(answer) == 2:
            status, data = answer
            if _text(status).upper() != "OK":
                detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
                raise ImapRefused(f"APPEND {folder}", f"append failed: {detail}")
        return answer if isinstance(answer, bytes) else str(answer).encode()


def _listed(item: tuple[Any, Any, Any]) -> ListedFolder:
    flags, sep, name = item
    return ListedFolder(_text(name), _text(sep) if sep else None, frozenset(_text(f) for f in flags))
