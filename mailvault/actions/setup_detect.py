"""`mailvault setup detect`: what this host's Dovecot, Postfix and DKIM signer say about the store,
the config directories, the TLS files and the DKIM keys, each item with how it is known. Writes
nothing. What cannot be detected (a tool missing, a config that does not parse) is an item too,
saying why, so that setup can ask instead. When Dovecot's mail_location and its userdb disagree
(a user whose userdb entry gives another mail location), both stores are offered."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mailvault import execute
from mailvault.errors import CommandFailed, MailvaultError
from mailvault.mail.layout import find_mailboxes
from mailvault.setup import dkim_keys, mail_location, postfix
from mailvault.setup.host import HostView, Known, MailStore
from mailvault.tools import doveadm

T = TypeVar("T")


@dataclass(frozen=True)
class DetectedItem:
    what: str  # store, layout, config, keys, dkim, problem
    value: str
    how: str


@dataclass
class Detected:
    items: list[DetectedItem] = field(default_factory=list)
    refused: str | None = None  # the store is not Maildir: why, and the way to convert
    stores: list[MailStore] = field(default_factory=list)  # none: not detected; two: they disagree
    config_dirs: list[Known] = field(default_factory=list)
    key_dirs: list[Known] = field(default_factory=list)
    dkim: dict[str, Known] = field(default_factory=dict)
    files: list[Known] = field(default_factory=list)  # key and TLS files named: each must be readable
    dovecot_config: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": [asdict(i) for i in self.items],
            "refused": self.refused,
            "stores": [asdict(s) for s in self.stores],
        }

    def host(self, store: MailStore) -> HostView:
        """The host as setup writes it, with ``store`` (one of ``stores``, or the operator's own)."""
        conf = str(self.dovecot_config) if self.dovecot_config else None
        return HostView(store, conf, list(self.config_dirs), list(self.key_dirs), dict(self.dkim))


@dataclass(frozen=True)
class Where:
    dovecot_config: Path | None = None  # None: Dovecot's own default
    postfix_config: Path = Path("/etc/postfix")
    opendkim_config: Path = Path("/etc/opendkim.conf")
    rspamd_config: Path = Path("/etc/rspamd/local.d/dkim_signing.conf")


def detect(where: Where) -> Detected:
    found = Detected(dovecot_config=where.dovecot_config)
    _store(where, found)
    _postfix(where, found)
    for conf, read in ((where.opendkim_config, dkim_keys.opendkim), (where.rspamd_config, dkim_keys.rspamd)):
        if conf.is_file():
            _dkim(conf, read, found)
    found.items = _unique(found.items, lambda i: (i.what, i.value))
    found.config_dirs = _unique(found.config_dirs, lambda k: k.value)
    found.key_dirs = _unique(found.key_dirs, lambda k: k.value)
    return found


def _unique(items: list[T], key: Callable[[T], object]) -> list[T]:
    """The first of each (a key directory named twice is listed once, with the first reason)."""
    seen: set[object] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def _dkim(conf: Path, read: Callable[[Path], list[dkim_keys.DkimKey]], found: Detected) -> None:
    try:
        keys = read(conf)
    except OSError as exc:
        found.items.append(DetectedItem("problem", f"{conf} cannot be read: {exc.strerror}", "DKIM keys not detected"))
        return
    for key in keys:
        found.items.append(DetectedItem("dkim", f"{key.record} = {key.path}", key.how))
        found.items.append(DetectedItem("keys", str(Path(key.path).parent), f"holds the DKIM key of {key.record}"))
        found.dkim.setdefault(key.record, Known(key.path, key.how))
        found.key_dirs.append(Known(str(Path(key.path).parent), f"holds the DKIM key of {key.record} ({key.how})"))
        found.files.append(Known(key.path, f"the DKIM key of {key.record}, {key.how}"))


def _why(exc: MailvaultError) -> str:
    """The failure in a line, with the tool's own last word (``Unknown setting: mail_locaton``)."""
    last = exc.stderr_tail[-1].strip() if isinstance(exc, CommandFailed) and exc.stderr_tail else ""
    return f"{exc.one_line()}: {last}" if last else exc.one_line()


def _doveconf(where: Where, setting: str) -> str:
    conf = ("-c", str(where.dovecot_config)) if where.dovecot_config else ()
    return execute.run(("doveconf", *conf, "-h", setting), what="doveconf", timeout=30).stdout.strip()


def _store(where: Where, found: Detected) -> None:
    try:
        text = _doveconf(where, "mail_location")
    except MailvaultError as exc:
        found.items.append(
            DetectedItem(
                "problem",
                f"Dovecot's mail_location could not be read: {_why(exc)}",
                "setup will ask for the maildir root and layout",
            )
        )
        return
    conf_dir = (where.dovecot_config.parent if where.dovecot_config else Path("/etc/dovecot")).resolve()
    found.items.append(DetectedItem("config", str(conf_dir), "the Dovecot config doveconf read"))
    found.config_dirs.append(Known(str(conf_dir), "the Dovecot config doveconf read"))
    planned = mail_location.plan(mail_location.parse(text))
    how = f"from `doveconf -h mail_location` ({text or 'empty: Dovecot guesses'})"
    if isinstance(planned, mail_location.Refused):
        found.refused = planned.why
        found.items.append(DetectedItem("problem", planned.why, how))
        return
    listed = _dovecot_list(where, found, planned)
    if isinstance(planned, mail_location.MaildirPlan):
        _pattern_store(planned, how, listed, found)
    elif listed:
        roots = _roots([path for _user, path in listed])
        found.stores.append(
            MailStore(
                tuple(roots),
                "dovecot",
                planned.folder_layout,
                f"the {len(listed)} maildirs `doveadm mailbox path -A INBOX` lists; {planned.why}",
                tuple(user for user, _path in listed),
                "dovecot",
            )
        )
    for store in found.stores:
        found.items += [
            DetectedItem("store", ", ".join(store.maildirs), store.how),
            DetectedItem("layout", store.layout, how),
            DetectedItem("folder_layout", store.folder_layout, how),
        ]


def _pattern_store(
    planned: mail_location.MaildirPlan, how: str, listed: list[tuple[str, str]] | None, found: Detected
) -> None:
    """The root and pattern mail_location gives; and, when the userdb puts some users elsewhere, the
    store Dovecot's own list gives, so that the operator chooses."""
    root = Path(planned.root)
    readable = root.is_dir() and os.access(root, os.R_OK | os.X_OK)  # if not, setup refuses it, with the fix
    mailboxes = find_mailboxes(root, planned.layout) if readable else []
    users = tuple(sorted({m.name for m in mailboxes} | {u for u, p in (listed or []) if _under(p, planned.root)}))
    found.stores.append(MailStore((planned.root,), planned.layout, planned.folder_layout, how, users, "pattern"))
    if not listed:
        return
    by_pattern = {str(m.path) for m in mailboxes}
    elsewhere = [(user, path) for user, path in listed if path.rstrip("/") not in by_pattern]
    if not elsewhere:
        return
    roots = _roots([planned.root, *(str(Path(path).parent) for _user, path in elsewhere)], parents=False)
    user, path = elsewhere[0]
    found.stores.append(
        MailStore(
            tuple(roots),
            "dovecot",
            planned.folder_layout,
            f"the userdb gives {len(elsewhere)} of the {len(listed)} users Dovecot lists another"
            f" mail location than mail_location, e.g. {user} at {path}"
            " (from `doveadm mailbox path -A INBOX`)",
            tuple(sorted(u for u, _p in listed)),
            "dovecot",
        )
    )


def _under(path: str, root: str) -> bool:
    return Path(path).is_relative_to(root)


def _roots(paths: list[str], *, parents: bool = True) -> list[str]:
    """The directories to back up for these maildirs. With ``parents``: the maildirs' common parent
    when it is more than ``/``, else each one's parent. Without: the directories themselves. Either
    way, those inside another are left out.

    >>> _roots(["/var/vmail/a/x/Maildir", "/var/vmail/b/y/Maildir"])
    ['/var/vmail']
    >>> _roots(["/var/vmail", "/var/other/carol", "/var/vmail/x/carol"], parents=False)
    ['/var/other/carol', '/var/vmail']
    """
    dirs = [os.path.dirname(p.rstrip("/")) if parents else p.rstrip("/") for p in paths]
    if parents:
        common = os.path.commonpath(dirs)
        if common != "/":
            return [common]
    unique = sorted(set(dirs))
    return [d for d in unique if not any(d != o and Path(d).is_relative_to(o) for o in unique)]


def _dovecot_list(where: Where, found: Detected, planned: mail_location.Plan) -> list[tuple[str, str]] | None:
    """Every user's INBOX path as the running Dovecot gives it; None when it cannot be asked (then a
    pattern stands alone, and a store only Dovecot knows is not detected)."""
    try:
        done = execute.run(doveadm.inbox_paths_argv(where.dovecot_config), what="doveadm mailbox path", timeout=300)
    except MailvaultError as exc:
        if isinstance(planned, mail_location.AskDovecot):
            found.items.append(
                DetectedItem(
                    "problem",
                    f"{planned.why}, and doveadm could not list them: {_why(exc)}",
                    "start Dovecot, or setup will ask for the maildir root",
                )
            )
        return None
    listed = doveadm.parse_inbox_paths(done.stdout)
    if not listed and isinstance(planned, mail_location.AskDovecot):
        found.items.append(DetectedItem("problem", "Dovecot lists no user", "check its userdb: `doveadm user '*'`"))
    return listed


def _postfix(where: Where, found: Detected) -> None:
    if not (where.postfix_config / "main.cf").is_file():
        found.items.append(
            DetectedItem("problem", f"no Postfix config in {where.postfix_config}", "give --postfix-config")
        )
        return
    found.items.append(DetectedItem("config", str(where.postfix_config.resolve()), "holds main.cf"))
    found.config_dirs.append(Known(str(where.postfix_config.resolve()), "holds Postfix's main.cf"))
    try:
        files = postfix.tls_files(str(where.postfix_config))
    except MailvaultError as exc:
        found.items.append(
            DetectedItem(
                "problem", f"postconf could not read {where.postfix_config}: {_why(exc)}", "TLS files not detected"
            )
        )
        return
    for item in files:
        how = f"{item.setting} = {item.path}, {item.how}"
        found.items.append(DetectedItem("keys", str(Path(item.path).parent), how))
        found.key_dirs.append(Known(str(Path(item.path).parent), how))
        found.files.append(Known(item.path, how))
