"""The accounts file: the issue's TOML as written, CSV, and one clear line for mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailvault.errors import ConfigError
from mailvault.migrate.accounts import load_accounts

REFERENCE = """
[source]
host = "imap.old-provider.example"
port = 993
tls = "implicit"            # "implicit" | "starttls" | "none"

[destination]
host = "127.0.0.1"
port = 143
tls = "starttls"

[[accounts]]
source_user = "alice@example.com"
source_password_file = "/etc/mailvault/migrate/alice.old"
destination_user = "alice@example.com"
destination_password_file = "/etc/mailvault/migrate/alice.new"
"""


def test_the_reference_file_works_as_written(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(REFERENCE)
    spec = load_accounts(path)
    assert spec.source.tls == "implicit" and spec.destination.port == 143
    assert spec.accounts[0].secret("source").file == Path("/etc/mailvault/migrate/alice.old")


def test_csv_with_servers(tmp_path: Path) -> None:
    servers = tmp_path / "servers.toml"
    servers.write_text(REFERENCE.split("[[accounts]]")[0])
    rows = tmp_path / "accounts.csv"
    rows.write_text(
        "source_user,source_password_file,destination_user,destination_oauth_token_command\n"
        "bob@example.com,/etc/pw/bob,bob@example.com,oauth-token bob\n"
    )
    spec = load_accounts(rows, servers)
    assert spec.accounts[0].secret("destination").command == "oauth-token bob"
    with pytest.raises(ConfigError) as caught:
        load_accounts(rows)
    assert "add --servers" in caught.value.one_line()


def test_two_secrets_for_one_side_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(REFERENCE + 'source_password_env = "PW"\n')
    with pytest.raises(ConfigError, match="give exactly one of source_password_file") as caught:
        load_accounts(path)
    assert "source_password_file, source_password_env" in caught.value.one_line()


def test_a_preset_belongs_to_a_server_and_options_preset_means_the_source(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(REFERENCE.replace('tls = "starttls"', 'tls = "starttls"\npreset = "gmail"'))
    spec = load_accounts(path)
    assert (spec.source.preset, spec.destination.preset, spec.options.preset) == (None, "gmail", None)

    path.write_text(REFERENCE + '\n[options]\npreset = "office365"\n')  # the older way: the source's provider
    spec = load_accounts(path)
    assert (spec.source.preset, spec.destination.preset, spec.options.preset) == ("office365", None, "office365")

    path.write_text(REFERENCE.replace('tls = "implicit"', 'tls = "implicit"\npreset = "gmail"'))
    assert load_accounts(path).options.preset == "gmail", "what folder mapping reads"


def test_two_different_source_presets_are_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(REFERENCE.replace('tls = "implicit"', 'tls = "implicit"\npreset = "gmail"')
                    + '\n[options]\npreset = "office365"\n')  # fmt: skip
    with pytest.raises(ConfigError, match=r"source\.preset and options\.preset differ"):
        load_accounts(path)
    path.write_text(REFERENCE.replace('tls = "starttls"', 'tls = "starttls"\npreset = "yahoo"'))
    with pytest.raises(ConfigError, match=r"destination\.preset"):
        load_accounts(path)


def test_every_mistake_is_one_line_naming_its_key(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        REFERENCE.replace("port = 993", 'port = 70000\ntimeout = "soon"\nhots = "x"')
        .replace('tls = "starttls"', 'tls = "ssl"')
        .replace('destination_user = "alice@example.com"\n', "")
        + "\n[options]\nparallel_folders = 0\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_accounts(path)
    err = caught.value
    assert sorted([err.message.split(": ", 1)[1], *err.details]) == [
        "accounts.0.destination_user: required key is missing",
        "destination.tls: Input should be 'implicit', 'starttls' or 'none'",
        "options.parallel_folders: Input should be greater than or equal to 1",
        "source.hots: unknown key",
        "source.port: Input should be less than or equal to 65535",
        "source.timeout: Input should be a number, not a string",
    ]
    path.write_text("[source]\nhost = 'a'\n")
    with pytest.raises(ConfigError) as caught:
        load_accounts(path)
    assert [caught.value.message.split(": ", 1)[1], *caught.value.details] == [
        "destination: required key is missing",
        "accounts: at least one [[accounts]] entry is needed",
    ]


def test_a_destination_that_is_the_source_by_any_name_is_refused() -> None:
    from mailvault.imap.endpoint import Endpoint
    from mailvault.migrate.accounts import Account, AccountsFile
    from mailvault.migrate.same_account import refuse_same_accounts, same_server

    table = {"mail.example.org": {"192.0.2.1"}, "imap.example.org": {"192.0.2.1", "2001:db8::1"}, "new": {"x"}}

    def resolve(host: str, port: int) -> set[str]:
        return table.get(host, set())

    old, alias = Endpoint("mail.example.org", 993), Endpoint("IMAP.example.org.", 993)
    assert same_server(old, Endpoint("MAIL.example.org.", 993), resolve) == {"mail.example.org"}
    assert same_server(old, alias, lambda h, p: resolve(h.lower().rstrip("."), p)) == {"192.0.2.1"}
    assert same_server(old, Endpoint("mail.example.org", 143), resolve) == set()  # (then a live probe decides)
    assert same_server(old, Endpoint("new", 993), resolve) == set()
    account = Account("alice@example.org", "Alice@Example.org", source_password_env="A", destination_password_env="B")
    spec = AccountsFile(old, Endpoint("mail.example.org", 993), [account])
    with pytest.raises(ConfigError, match="same account on the same server"):
        refuse_same_accounts(spec, resolve)
    other_user = Account("alice@example.org", "bob@example.org", source_password_env="A", destination_password_env="B")
    refuse_same_accounts(AccountsFile(old, old, [other_user]), resolve)  # another account on one server: a move
