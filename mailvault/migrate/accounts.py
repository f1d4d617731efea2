"""The accounts file of `mailvault migrate`: the two servers and the pairs of accounts to move.

TOML (``[source]``, ``[destination]``, ``[[accounts]]``) or CSV (one account a row, the servers in a
TOML file beside it given by ``--servers``). Secrets come by file, command, environment or systemd
credential, as everywhere in mailvault; never inline in a CSV.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mailvault.errors import ConfigError
from mailvault.keys.secrets import SecretSource

Tls = Literal["implicit", "starttls", "none"]
Auth = Literal["login", "plain", "xoauth2"]
PresetName = Literal["gmail", "office365"]
PRESET_HELP = (
    "The provider this server is (gmail, office365). As [source]: its folders map specially (Gmail's"
    " labels, All Mail and views). As [destination]: its upload caps are honoured: larger messages are"
    " skipped and reported, the copy stops before the daily upload cap and resumes on the next run."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Strict):
    """One IMAP server."""

    host: str = Field(description="IMAP server name or address.")
    port: int = Field(993, ge=1, le=65535, description="IMAP port.")
    tls: Tls = Field("implicit", description="implicit (993), starttls (143) or none (reported as insecure).")
    ca_file: Path | None = Field(None, description="CA bundle for a private CA (certificates are verified).")
    auth: Auth = Field("login", description="login, plain, or xoauth2 (a token from oauth_token_command).")
    timeout: float = Field(60, gt=0, description="Seconds before a silent server is given up on.")
    connections: int = Field(4, ge=1, le=32, description="Connections to this server at once (all accounts).")
    preset: PresetName | None = Field(None, description=PRESET_HELP, examples=["gmail", "office365"])


class Account(_Strict):
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

    @model_validator(mode="after")
    def _one_secret_each(self) -> Account:
        for side in ("source", "destination"):
            given = [k for k in ("password_file", "password_command", "password_env", "password_credential",
                                 "oauth_token_command") if getattr(self, f"{side}_{k}") is not None]  # fmt: skip
            if len(given) != 1:
                raise ValueError(
                    f"{getattr(self, f'{side}_user')}: give exactly one of {side}_password_file,"
                    f" {side}_password_command, {side}_password_env, {side}_password_credential"
                    f" or {side}_oauth_token_command"
                    + (f" (got {', '.join(f'{side}_{g}' for g in given)})" if given else "")
                )
        return self

    def secret(self, side: Literal["source", "destination"]) -> SecretSource:
        """The password (or, with xoauth2, the token command) of one side."""
        token = getattr(self, f"{side}_oauth_token_command")
        label = f"{getattr(self, f'{side}_user')} ({side}) password"
        if token is not None:
            return SecretSource(label.replace("password", "OAuth token"), command=token)
        return SecretSource.from_section(self, f"{side}_password", label)


class Options(_Strict):
    parallel_accounts: int = Field(2, ge=1, le=32, description="Accounts copied at once.")
    parallel_folders: int = Field(5, ge=1, le=16, description="Folders of one account copied at once.")
    batch_messages: int = Field(50, ge=1, le=1000, description="Messages fetched per UID FETCH.")
    batch_bytes: int = Field(16 * 2**20, ge=2**20, description="Bytes fetched per batch at most.")
    preset: PresetName | None = Field(
        None, description="The same as source.preset (the provider being left): kept for older files.",
        examples=["gmail"],
    )  # fmt: skip
    doveadm_config: Path = Field(
        Path("/etc/dovecot/dovecot.conf"),
        description="With --engine doveadm: the config of the Dovecot on this host that serves [destination]."
        " doveadm reads it (its userdb, mail_location, namespaces, base_dir) to write the mail straight into"
        " that Dovecot's storage.",
        examples=["/etc/dovecot/dovecot.conf"],
    )
    doveadm: str = Field(
        "doveadm", description="With --engine doveadm: the doveadm program (a name on PATH or a path).",
        examples=["doveadm", "/usr/bin/doveadm"],
    )  # fmt: skip


class AccountsFile(_Strict):
    source: Endpoint
    destination: Endpoint
    accounts: list[Account] = Field(min_length=1)
    options: Options = Field(default_factory=lambda: Options())

    @model_validator(mode="before")
    @classmethod
    def _one_source_preset(cls, data: object) -> object:
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

    def account(self, user: str) -> Account:
        for a in self.accounts:
            if user in (a.source_user, a.destination_user):
                return a
        raise ConfigError(f"no account {user!r} in the accounts file", hint="use a source_user listed there")


def load_accounts(path: Path, servers: Path | None = None) -> AccountsFile:
    """Read ``path`` (TOML, or CSV with ``servers`` holding [source] and [destination])."""
    try:
        if path.suffix.lower() == ".csv":
            data = _servers(servers, path)
            with path.open(newline="") as fh:
                rows = [{k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
                        for row in csv.DictReader(fh)]  # fmt: skip
            data["accounts"] = rows
        else:
            data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"accounts file {path} does not exist", hint="give the path of the accounts file") from exc
    except (tomllib.TOMLDecodeError, csv.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"accounts file {path} cannot be read: {exc}", hint="fix its syntax") from exc
    try:
        return AccountsFile.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err) for err in exc.errors()]
        raise ConfigError(f"accounts file {path}: {lines[0]}", hint="fix the file", details=lines[1:]) from exc


def _describe(err: object) -> str:
    assert isinstance(err, dict)
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    message = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {'required key is missing' if err['type'] == 'missing' else message}"


def _servers(servers: Path | None, csv_path: Path) -> dict[str, object]:
    if servers is None:
        raise ConfigError(
            f"accounts file {csv_path} is CSV: its servers come from a TOML file",
            hint="add --servers FILE with [source] and [destination]",
        )
    data = tomllib.loads(servers.read_text())
    return {k: v for k, v in data.items() if k in ("source", "destination", "options")}
