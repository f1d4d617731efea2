"""``mailvault setup --check``: what the host says now against what the config backs up and what
setup saw when it wrote it. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mailvault.setup.host import HostView

UPDATE = "take it in with `mailvault setup --update` (it changes only [sources]), or edit the config"


@dataclass(frozen=True)
class Configured:
    """What the config backs up now (its [sources])."""

    maildirs: tuple[str, ...]
    layout: str
    config: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Drift:
    kind: str  # store, layout, keys, dkim, domain
    what: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(now: HostView, configured: Configured, record: dict[str, Any] | None) -> list[Drift]:
    """Each difference that matters: a moved store or layout, a detected config or key directory the
    config does not back up, a DKIM key or a domain that was not there when setup ran.

    >>> from mailvault.setup.host import Known, MailStore
    >>> now = HostView(MailStore(("/srv/vmail",), "%d/%n", "fs", "doveconf", ("a@x.org",)))
    >>> [d.kind for d in compare(now, Configured(("/var/vmail",), "%d/%n", (), ()), None)]
    ['store']
    """
    found: list[Drift] = []
    store = now.store
    if not set(store.maildirs) <= set(configured.maildirs):
        found.append(
            Drift(
                "store",
                f"the store is at {', '.join(store.maildirs)} ({store.how}); the config"
                f" backs up {', '.join(configured.maildirs) or 'nothing'}",
                UPDATE,
            )
        )
    elif store.layout != configured.layout:
        found.append(
            Drift("layout", f"the layout is {store.layout} ({store.how}); the config says {configured.layout}", UPDATE)
        )
    backed = set(configured.config) | set(configured.keys)
    for known in [*now.config_dirs, *now.key_dirs]:
        if not any(known.value == d or known.value.startswith(d.rstrip("/") + "/") for d in backed):
            found.append(Drift("keys", f"{known.value} is not backed up ({known.how})", UPDATE))
    if record is not None:
        for name, key in sorted(now.dkim.items()):
            if name not in record.get("dkim", {}):
                found.append(
                    Drift(
                        "dkim",
                        f"a new DKIM key: {name} = {key.value} ({key.how})",
                        "add it to [drill] dkim so each drill proves it; its directory is checked above",
                    )
                )
        for domain in now.domains:
            if domain not in record.get("domains", []):
                users = sum(1 for u in store.users if u.endswith("@" + domain))
                found.append(
                    Drift(
                        "domain",
                        f"a new domain: {domain} ({users} mailboxes)",
                        "its mail is backed up with the store; check its DKIM key is found above",
                    )
                )
    return found
