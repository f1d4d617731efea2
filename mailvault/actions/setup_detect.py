"""`mailvault setup --detect`: what this host's Dovecot, Postfix and DKIM signer say about the store,
the config directories, the TLS files and the DKIM keys, each item with how it is known. Writes
nothing. What cannot be detected (a tool missing, a config that does not parse) is an item too,
saying why, so that setup can ask instead."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mailvault import execute
from mailvault.errors import MailvaultError
from mailvault.setup import dkim_keys, mail_location, postfix
from mailvault.tools import doveadm


@dataclass(frozen=True)
class DetectedItem:
    what: str  # store, layout, config, keys, dkim, problem
    value: str
    how: str


@dataclass
class Detected:
    items: list[DetectedItem] = field(default_factory=list)
    refused: str | None = None  # the store is not Maildir: why, and the way to convert

    def as_dict(self) -> dict[str, Any]:
        return {"items": [asdict(i) for i in self.items], "refused": self.refused}


@dataclass(frozen=True)
class Where:
    dovecot_config: Path | None = None  # None: Dovecot's own default
    postfix_config: Path = Path("/etc/postfix")
    opendkim_config: Path = Path("/etc/opendkim.conf")
    rspamd_config: Path = Path("/etc/rspamd/local.d/dkim_signing.conf")


def detect(where: Where) -> Detected:
    found = Detected()
    _store(where, found)
    _postfix(where, found)
    for conf, read in ((where.opendkim_config, dkim_keys.opendkim), (where.rspamd_config, dkim_keys.rspamd)):
        if conf.is_file():
            _dkim(conf, read, found)
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in found.items:  # (a key directory named twice is listed once, with the first reason)
        if (item.what, item.value) not in seen:
            seen.add((item.what, item.value))
            unique.append(item)
    found.items = unique
    return found


def _dkim(conf: Path, read: Callable[[Path], list[dkim_keys.DkimKey]], found: Detected) -> None:
    try:
        keys = read(conf)
    except OSError as exc:
        found.items.append(DetectedItem("problem", f"{conf} cannot be read: {exc.strerror}", "DKIM keys not detected"))
        return
    for key in keys:
        found.items.append(DetectedItem("dkim", f"{key.record} = {key.path}", key.how))
        found.items.append(DetectedItem("keys", str(Path(key.path).parent), f"holds the DKIM key of {key.record}"))


def _doveconf(where: Where, setting: str) -> str:
    conf = ("-c", str(where.dovecot_config)) if where.dovecot_config else ()
    return execute.run(("doveconf", *conf, "-h", setting), what="doveconf", timeout=30).stdout.strip()


def _store(where: Where, found: Detected) -> None:
    try:
        text = _doveconf(where, "mail_location")
    except MailvaultError as exc:
        found.items.append(DetectedItem("problem", f"Dovecot's mail_location could not be read: {exc.one_line()}",
                                "setup will ask for the maildir root and layout"))  # fmt: skip
        return
    conf_dir = (where.dovecot_config.parent if where.dovecot_config else Path("/etc/dovecot")).resolve()
    found.items.append(DetectedItem("config", str(conf_dir), "the Dovecot config doveconf read"))
    planned = mail_location.plan(mail_location.parse(text))
    how = f"from `doveconf -h mail_location` ({text or 'empty: Dovecot guesses'})"
    if isinstance(planned, mail_location.Refused):
        found.refused = planned.why
        found.items.append(DetectedItem("problem", planned.why, how))
    elif isinstance(planned, mail_location.MaildirPlan):
        found.items += [DetectedItem("store", planned.root, how), DetectedItem("layout", planned.layout, how),
                        DetectedItem("folder_layout", planned.folder_layout, how)]  # fmt: skip
    else:
        _ask_dovecot(where, found, planned, how)


def _ask_dovecot(where: Where, found: Detected, planned: mail_location.AskDovecot, how: str) -> None:
    try:
        done = execute.run(doveadm.inbox_paths_argv(where.dovecot_config), what="doveadm mailbox path", timeout=300)
    except MailvaultError as exc:
        found.items.append(DetectedItem("problem", f"{planned.why}, and doveadm could not list them: {exc.one_line()}",
                                "start Dovecot, or setup will ask for the maildir root"))  # fmt: skip
        return
    paths = [path for _user, path in doveadm.parse_inbox_paths(done.stdout)]
    if not paths:
        found.items.append(DetectedItem("problem", "Dovecot lists no user", "check its userdb: `doveadm user '*'`"))
        return
    root = os.path.commonpath([os.path.dirname(p) for p in paths]) if len(paths) > 1 else os.path.dirname(paths[0])
    found.items += [
        DetectedItem(
            "store", root, f"the common root of the {len(paths)} maildirs `doveadm mailbox path -A INBOX` lists"
        ),
        DetectedItem("layout", "dovecot", f"{planned.why} ({how})"),
        DetectedItem("folder_layout", planned.folder_layout, how),
    ]


def _postfix(where: Where, found: Detected) -> None:
    if not (where.postfix_config / "main.cf").is_file():
        found.items.append(
            DetectedItem("problem", f"no Postfix config in {where.postfix_config}", "give --postfix-config")
        )
        return
    found.items.append(DetectedItem("config", str(where.postfix_config.resolve()), "holds main.cf"))
    try:
        files = postfix.tls_files(str(where.postfix_config))
    except MailvaultError as exc:
        found.items.append(DetectedItem("problem", f"postconf could not read {where.postfix_config}: {exc.one_line()}",
                                "TLS files not detected"))  # fmt: skip
        return
    for item in files:
        found.items.append(
            DetectedItem("keys", str(Path(item.path).parent), f"{item.setting} = {item.path}, {item.how}")
        )
