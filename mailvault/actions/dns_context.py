"""Everything a `mailvault dns` step needs from the config: servers, panel, backend, plan and journal."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailvault.config.schema import Config, DnsSection
from mailvault.dns.backends.base import Backend
from mailvault.dns.journal import Journal
from mailvault.dns.query import Server, parse_server
from mailvault.dns.records import absolute
from mailvault.errors import ConfigError, DnsError
from mailvault.state.paths import write_atomic


def _servers(texts: list[str], key: str) -> list[Server]:
    try:
        return [parse_server(t) for t in texts]
    except ValueError as exc:
        raise ConfigError(f"dns.{key}: {exc}", hint="write host, host:port or [v6]:port") from None


@dataclass
class DnsContext:
    settings: DnsSection
    domain: str
    state_dir: Path
    _found: list[Server] | None = field(default=None, init=False, repr=False)

    @property
    def directory(self) -> Path:
        return self.state_dir / "dns" / self.domain.rstrip(".")

    @property
    def journal(self) -> Journal:
        return Journal(self.directory)

    @property
    def plan_path(self) -> Path:
        return self.directory / "plan.json"

    def authoritative(self) -> list[Server]:
        """``[dns] authoritative``, else the primary in ``server``, else the zone's NS hosts (port 53) as the
        resolver panel names them."""
        listed = self.settings.authoritative or ([self.settings.server] if self.settings.server else [])
        if listed:
            return _servers(listed, "authoritative")
        if self._found is None:
            from mailvault.dns.discover import nameservers

            self._found = nameservers(self.domain, self.resolvers(), timeout=self.settings.timeout)
        return self._found

    def primary(self) -> Server:
        """Where the zone is read before a change: the update server, else the first authoritative one."""
        return _servers([self.settings.server], "server")[0] if self.settings.server else self.authoritative()[0]

    def resolvers(self) -> list[Server]:
        return _servers(self.settings.resolvers, "resolvers")

    def backend(self) -> Backend:
        if self.settings.backend == "rfc2136":
            from mailvault.dns.backends.rfc2136 import Rfc2136Backend
            from mailvault.dns.tsig import load_key

            assert self.settings.tsig_key_file is not None  # the schema insists
            return Rfc2136Backend(self.primary(), load_key(self.settings.tsig_key_file), timeout=self.settings.timeout)
        if self.settings.backend == "lexicon":
            from mailvault.dns.backends.lexicon import LexiconBackend

            assert self.settings.lexicon_provider is not None
            return LexiconBackend(self.settings.lexicon_provider, self.domain)
        from mailvault.dns.backends.manual import ManualBackend

        return ManualBackend()

    def save_plan(self, plan: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.plan_path, json.dumps(plan, indent=1) + "\n")

    def load_plan(self) -> dict[str, Any]:
        if not self.plan_path.exists():
            raise DnsError(
                f"there is no cutover plan for {self.domain.rstrip('.')}",
                hint=f"run: mailvault dns plan {self.domain.rstrip('.')} --new-mx HOST",
            )
        data: dict[str, Any] = json.loads(self.plan_path.read_text())
        return data


def dns_context(config: Config, domain: str) -> DnsContext:
    if config.dns is None:
        raise ConfigError("the config has no [dns] section", hint="add one: `mailvault config init` shows its keys")
    text = domain.strip().rstrip(".")
    if not text or " " in text or "." not in text:
        raise DnsError(f"{domain!r} is not a domain name", hint="give the mail domain, e.g. example.org")
    return DnsContext(config.dns, absolute(text), config.state.dir)
