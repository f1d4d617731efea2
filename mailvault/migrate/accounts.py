"""The accounts file of `mailvault migrate`: the two servers and the pairs of accounts to move.

TOML (``[source]``, ``[destination]``, ``[[accounts]]``) or CSV (one account a row, the servers in a
TOML file beside it given by ``--servers``). Secrets come by file, command, environment or systemd
credential, as everywhere in mailvault; never inline in a CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mailvault.config import textfile
from mailvault.config.plain import Invalid, build, choice, integer, optional, path, positive, text
from mailvault.errors import ConfigError
from mailvault.imap.endpoint import Endpoint, PresetName
from mailvault.keys.secrets import SecretSource

PRESET_HELP = (
    "The provider this server is (gmail, office365). As [source]: its folders map specially (Gmail's"
    " labels, All Mail and views). As [destination]: its upload caps are honoured: larger messages are"
    " skipped and reported, the copy stops before the daily upload cap and resumes on the next run."
)
SECRET_KEYS = ("password_file", "password_command", "password_env", "password_credential", "oauth_token_command")


ENDPOINT_RULES = {
    "host": text,
    "port": integer(1, 65535),
    "tls": choice("implicit", "starttls", "none"),
    "ca_file": optional(path),
    "auth": choice("login", "plain", "xoauth2"),
    "timeout": positive,
    "connections": integer(1, 32),
    "preset": optional(choice("gmail", "office365")),
}


@dataclass(frozen=True)
class Account:
    source_user: str
    destination_user: str
    source_password_file: Path | None = None
    source_password_command: str | None = None
    source_password_env: str | None = None
    source_password_credential: str | None = None
    source_oauth_token_command: str | None = None
    destination_password_file: Path | None = None
    destination_password_command: str | None = None
    destination_password_env: str | None = None
    destination_password_credential: str | None = None
    destination_oauth_token_command: str | None = None

    def problem(self) -> str | None:
        """Each side needs exactly one source of its secret."""
        for side in ("source", "destination"):
            given = [k for k in SECRET_KEYS if getattr(self, f"{side}_{k}") is not None]
            if len(given) != 1:
                return (
                    f"{getattr(self, f'{side}_user')}: give exactly one of {side}_password_file,"
                    f" {side}_password_command, {side}_password_env, {side}_password_credential"
                    f" or {side}_oauth_token_command"
                    + (f" (got {', '.join(f'{side}_{g}' for g in given)})" if given else "")
                )
        return None

    def secret(self, side: Literal["source", "destination"]) -> SecretSource:
        """The password (or, with xoauth2, the token command) of one side."""
        token = getattr(self, f"{side}_oauth_token_command")
        label = f"{getattr(self, f'{side}_user')} ({side}) password"
        if token is not None:
            return SecretSource(label.replace("password", "OAuth token"), command=token)
        return SecretSource.from_section(self, f"{side}_password", label)

    def turned(self) -> Account:
        """The same account with source and destination swapped (for a rollback)."""
        values = {
            name.replace("source_", "@").replace("destination_", "source_").replace("@", "destination_"): value
            for name, value in dataclasses.asdict(self).items()
        }
        return Account(**values)


ACCOUNT_RULES = {
    **{f"{side}_user": text for side in ("source", "destination")},
    **{f"{side}_{key}": optional(path if key == "password_file" else text)
       for side in ("source", "destination") for key in SECRET_KEYS},
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    parallel_accounts: int = 2  # accounts copied at once
    parallel_folders: int = 5  # folders of one account copied at once
    batch_messages: int = 50  # messages fetched per UID FETCH
    batch_bytes: int = 16 * 2**20  # bytes fetched per batch at most
    preset: PresetName | None = None  # the same as source.preset (the provider being left): for older files
    # With --engine doveadm: the config of the Dovecot on this host that serves [destination]. doveadm
    # reads it (its userdb, mail_location, namespaces, base_dir) to write the mail straight into its storage.
    doveadm_config: Path = Path("/etc/dovecot/dovecot.conf")
    doveadm: str = "doveadm"  # with --engine doveadm: the doveadm program (a name on PATH or a path)


OPTIONS_RULES = {
    "parallel_accounts": integer(1, 32),
    "parallel_folders": integer(1, 16),
    "batch_messages": integer(1, 1000),
    "batch_bytes": integer(2**20),
    "preset": optional(choice("gmail", "office365")),
    "doveadm_config": path,
    "doveadm": text,
}


@dataclass(frozen=True)
class AccountsFile:
    source: Endpoint
    destination: Endpoint
    accounts: list[Account]
    options: Options = field(default_factory=Options)

    @classmethod
    def from_data(cls, data: Any) -> AccountsFile:
        """Check the parsed file; raise Invalid with every problem."""
        problems: list[str] = []
        try:
            data = _one_source_preset(data)
        except ValueError as exc:
            raise Invalid([f"(top level): {exc}"]) from None
        if not isinstance(data, dict):
            raise Invalid([f"(top level): Input should be a table, not {type(data).__name__}"])
        for key in sorted(set(data) - {"source", "destination", "accounts", "options"}):
            problems.append(f"{key}: unknown key")
        source, destination = (build(Endpoint, data.get(side), side, ENDPOINT_RULES, problems)
                               for side in ("source", "destination"))  # fmt: skip
        options = build(Options, data.get("options", {}), "options", OPTIONS_RULES, problems)
        accounts: list[Account] = []
        rows = data.get("accounts")
        if not isinstance(rows, list) or not rows:
            problems.append("accounts: at least one [[accounts]] entry is needed")
            rows = []
        for n, row in enumerate(rows):
            account = build(Account, row, f"accounts.{n}", ACCOUNT_RULES, problems)
            if account is not None and (problem := account.problem()) is not None:
                problems.append(f"accounts.{n}: {problem}")
            elif account is not None:
                accounts.append(account)
        if problems or source is None or destination is None or options is None:
            raise Invalid(problems)
        return cls(source, destination, accounts, options)

    def account(self, user: str) -> Account:
        for a in self.accounts:
            if user in (a.source_user, a.destination_user):
                return a
        raise ConfigError(f"no account {user!r} in the accounts file", hint="use a source_user listed there")


def _one_source_preset(data: Any) -> Any:
    """``options.preset`` and ``source.preset`` say the same thing: either fills the other."""
    if not isinstance(data, dict) or not isinstance(data.get("source"), dict):
        return data
    options: dict[str, object] = data["options"] if isinstance(data.get("options"), dict) else {}
    given = {v for v in (data["source"].get("preset"), options.get("preset")) if v is not None}
    if len(given) > 1:
        raise ValueError("source.preset and options.preset differ: give the source's provider once")
    if given:
        (name,) = given
        data = {**data, "source": {**data["source"], "preset": name}, "options": {**options, "preset": name}}
    return data


_MISSING = "give the path of the accounts file"


def load_accounts(path: Path, servers: Path | None = None) -> AccountsFile:
    """Read ``path`` (TOML, or CSV with ``servers`` holding [source] and [destination])."""
    try:
        if path.suffix.lower() == ".csv":
            data = _servers(servers, path)
            text = textfile.read_text(path, what="accounts file", missing_hint=_MISSING)
            rows = [{k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
                    for row in csv.DictReader(io.StringIO(text, newline=""))]  # fmt: skip
            data["accounts"] = rows
        else:
            data = textfile.read_toml(path, what="accounts file", missing_hint=_MISSING)
    except csv.Error as exc:
        raise ConfigError(f"accounts file {path} is not valid CSV: {exc}", hint="fix the line it names") from exc
    try:
        return AccountsFile.from_data(data)
    except Invalid as exc:
        lines = exc.lines
        raise ConfigError(f"accounts file {path}: {lines[0]}", hint="fix the file", details=lines[1:]) from None


def _servers(servers: Path | None, csv_path: Path) -> dict[str, object]:
    if servers is None:
        raise ConfigError(
            f"accounts file {csv_path} is CSV: its servers come from a TOML file",
            hint="add --servers FILE with [source] and [destination]",
        )
    data = textfile.read_toml(servers, what="servers file", missing_hint="give the path of the TOML file")
    return {k: v for k, v in data.items() if k in ("source", "destination", "options")}
