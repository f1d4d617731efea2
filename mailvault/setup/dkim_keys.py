"""The DKIM keys a host signs with, from the signer's own config: OpenDKIM's KeyTable (or its single
KeyFile), rspamd's ``dkim_signing.conf``. Reads files only; each key says how it was found.

The result is what ``[drill] dkim`` wants: the key's TXT record name (``selector._domainkey.domain``)
and the private key's path, whose directory ``sources.keys`` must hold.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DkimKey:
    record: str  # selector._domainkey.domain
    path: str
    how: str


def _lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _table_path(value: str) -> str:
    """OpenDKIM's data set names: ``refile:/etc/opendkim/KeyTable`` and ``file:…`` are files.

    >>> _table_path("refile:/etc/opendkim/KeyTable"), _table_path("/etc/opendkim/KeyTable")
    ('/etc/opendkim/KeyTable', '/etc/opendkim/KeyTable')
    """
    kind, sep, rest = value.partition(":")
    return rest if sep and kind in ("file", "refile", "csl") and rest.startswith("/") else value


def opendkim(conf: Path) -> list[DkimKey]:
    """Keys named by opendkim.conf: each KeyTable line ``name domain:selector:/path``, or the single
    ``Domain``/``Selector``/``KeyFile`` of a one-key config."""
    settings = {words[0].lower(): " ".join(words[1:]) for words in _lines(conf.read_text()) if words}
    found: list[DkimKey] = []
    table = settings.get("keytable")
    if table:
        where = _table_path(table)
        for words in _lines(Path(where).read_text()):
            if len(words) >= 2 and words[1].count(":") >= 2:
                domain, selector, key = words[1].split(":", 2)
                found.append(DkimKey(f"{selector}._domainkey.{domain}", key, f"from {where}"))
    elif settings.get("keyfile") and settings.get("selector") and settings.get("domain"):
        for domain in settings["domain"].replace(",", " ").split():
            found.append(DkimKey(f"{settings['selector']}._domainkey.{domain}", settings["keyfile"], f"from {conf}"))
    return found


_BLOCK = re.compile(r"(?P<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*\{(?P<body>[^{}]*)\}")
_SETTING = re.compile(r'\b(path|selector)\s*=\s*"?([^";\n]+)"?\s*;?')


def rspamd(conf: Path) -> list[DkimKey]:
    """Keys named by rspamd's dkim_signing.conf: per-domain blocks (``example.org { selector = "mail";
    path = "…"; }``), and a ``path`` template with ``$domain`` and ``$selector``, expanded against the
    key files that exist."""
    text = re.sub(r"#[^\n]*", "", conf.read_text())
    found: list[DkimKey] = []
    for block in _BLOCK.finditer(text):
        values = dict(_SETTING.findall(block["body"]))
        if "path" in values and "selector" in values:
            found.append(DkimKey(f"{values['selector']}._domainkey.{block['domain']}", values["path"], f"from {conf}"))
    outside = dict(_SETTING.findall(_BLOCK.sub("", text)))
    template = outside.get("path", "")
    if "$domain" in template:
        pattern = template.replace("$domain", "*").replace("$selector", "*")
        parts = re.escape(template).replace(r"\$domain", "(?P<d>.+)").replace(r"\$selector", "(?P<s>[^./]+)")
        for path in sorted(glob.glob(pattern)):
            match = re.fullmatch(parts, path)
            if match is None:
                continue
            selector = match.groupdict().get("s") or outside.get("selector", "dkim")
            record = f"{selector}._domainkey.{match['d']}"
            if all(k.record != record for k in found):
                found.append(DkimKey(record, path, f"from {conf} (path template {template})"))
    return found
