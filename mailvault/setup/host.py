"""What setup takes from a mail host: the store and its layout, the config and key directories, the
DKIM keys and the domains, each value with how it is known. Pure: built from detection or from a
config, saved beside the state as the record ``setup --check`` compares against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Known:
    """A value and how setup knows it: ``Known("/var/vmail", "from `doveconf -h mail_location`")``."""

    value: str
    how: str


@dataclass(frozen=True)
class MailStore:
    """Where the mailboxes are: roots, a pattern layout or ``dovecot``, and the mailboxes found there."""

    maildirs: tuple[str, ...]
    layout: str
    folder_layout: str
    how: str
    users: tuple[str, ...] = ()
    label: str = ""  # what the operator picks when two detections disagree


@dataclass
class HostView:
    store: MailStore
    dovecot_config: str | None = None
    config_dirs: list[Known] = field(default_factory=list)
    key_dirs: list[Known] = field(default_factory=list)
    dkim: dict[str, Known] = field(default_factory=dict)  # TXT record name -> private key path

    @property
    def domains(self) -> list[str]:
        """The domains with mailboxes, from the users' names (``alice@example.org``).

        >>> HostView(MailStore(("/v",), "%d/%n", "fs", "", ("a@x.org", "b@x.org", "c@y.net"))).domains
        ['x.org', 'y.net']
        """
        return sorted({user.rpartition("@")[2] for user in self.store.users if "@" in user})

    def as_record(self) -> dict[str, Any]:
        """What is kept in the state dir (``setup.json``)."""
        return {
            "maildirs": list(self.store.maildirs),
            "layout": self.store.layout,
            "folder_layout": self.store.folder_layout,
            "dovecot_config": self.dovecot_config,
            "config": [k.value for k in self.config_dirs],
            "keys": [k.value for k in self.key_dirs],
            "dkim": {record: known.value for record, known in self.dkim.items()},
            "domains": self.domains,
            "mailboxes": len(self.store.users),
        }
