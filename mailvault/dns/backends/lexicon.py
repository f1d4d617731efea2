"""DNS providers' APIs through dns-lexicon (``pip install 'mailvault[lexicon]'``).

Provider APIs have no update prerequisites and no atomic multi-record update, so this backend reads
every RRset first and refuses when one is not what the change expects (a concurrent edit between that
read and the write is not detected), then deletes and creates record by record. Credentials come from
lexicon's own ``LEXICON_<PROVIDER>_<OPTION>`` environment variables, never from argv.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from mailvault.dns.records import Change
from mailvault.errors import DnsConflict, DnsError, ToolError


class Operations(Protocol):
    def list_records(
        self, rtype: str | None = None, name: str | None = None, content: str | None = None
    ) -> list[dict[str, Any]]: ...
    def create_record(self, rtype: str, name: str, content: str) -> bool: ...
    def delete_record(
        self,
        identifier: str | None = None,
        rtype: str | None = None,
        name: str | None = None,
        content: str | None = None,
    ) -> bool: ...


Session = Callable[[int | None], AbstractContextManager[Operations]]  # TTL -> a lexicon client


def _lexicon_session(provider: str, domain: str) -> Session:
    try:
        from lexicon.client import Client  # type: ignore[import-not-found]
        from lexicon.config import ConfigResolver  # type: ignore[import-not-found]
    except ImportError:
        raise ToolError(
            "the lexicon backend needs dns-lexicon, which is not installed",
            hint="pip install 'mailvault[lexicon]', or use backend rfc2136 or manual",
        ) from None

    def session(ttl: int | None) -> AbstractContextManager[Operations]:
        settings: dict[str, Any] = {"provider_name": provider, "domain": domain.rstrip(".")}
        if ttl is not None:
            settings["ttl"] = ttl
        client: AbstractContextManager[Operations] = Client(ConfigResolver().with_env().with_dict(settings))
        return client

    return session


def _content(rtype: str, value: str) -> str:
    """Zone-file rdata to the content lexicon providers use (TXT unquoted, names without the dot)."""
    if rtype == "TXT":
        from mailvault.dns.spf import unquote

        return unquote(value)
    if rtype in ("MX", "CNAME", "NS"):
        return value.rstrip(".")
    return value


class LexiconBackend:
    name = "lexicon"
    automatic = True

    def __init__(self, provider: str, domain: str, *, session: Session | None = None) -> None:
        self.provider, self.domain = provider, domain
        self._session = session

    def _open(self, ttl: int | None) -> AbstractContextManager[Operations]:
        if self._session is None:
            self._session = _lexicon_session(self.provider, self.domain)
        return self._session(ttl)

    def _values(self, ops: Operations, rrset_key: tuple[str, str]) -> set[str]:
        name, rtype = rrset_key
        return {
            str(r.get("content", "")).rstrip(".") if rtype != "TXT" else str(r.get("content", ""))
            for r in ops.list_records(rtype, name.rstrip("."))
        }

    def apply(self, zone: str, changes: list[Change]) -> None:
        try:
            with self._open(None) as ops:
                for change in changes:
                    seen = self._values(ops, change.key)
                    expected = {_content(change.key[1], v) for v in (change.before.values if change.before else ())}
                    if seen != expected:
                        raise DnsConflict(
                            f"{self.provider} holds {change.key[1]} {change.key[0]} as "
                            f"{sorted(seen) or 'absent'}, not what the change expects; nothing "
                            "was changed",
                            hint="look at the zone and plan again",
                        )
            for change in changes:
                self._replace(change)
        except DnsError:
            raise
        except Exception as exc:  # lexicon providers raise anything from requests errors to their own
            raise DnsError(
                f"{self.provider} (through lexicon) failed: {type(exc).__name__}: {exc}; the journal "
                "shows what was being applied",
                hint="run `mailvault dns rollback` after fixing the cause; it reads the zone first",
            ) from None

    def _replace(self, change: Change) -> None:
        name, rtype = change.key
        with self._open(change.after.ttl if change.after else None) as ops:
            for value in change.before.values if change.before else ():
                ops.delete_record(None, rtype, name.rstrip("."), _content(rtype, value))
            for value in change.after.values if change.after else ():
                ops.create_record(rtype, name.rstrip("."), _content(rtype, value))
