import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from mailvault.config.durations import format_duration, parse_duration
from mailvault.config.load import load_config, problems
from mailvault.config.sample import sample_config
from mailvault.errors import ConfigError, SecretError

REFERENCE = """
[repository]
url = "s3:http://127.0.0.1:8333/mailvault/mail1"    # or a local path: "/var/backups/mailvault"
password_file = "/etc/mailvault/repository.key"

[repository.s3]
access_key_id_file = "/etc/mailvault/s3-access-key-id"
secret_access_key_file = "/etc/mailvault/s3-secret-access-key"
region = "us-east-1"

[sources]
maildirs = ["/var/vmail"]
layout = "%d/%n/Maildir"       # Dovecot-style: %d domain, %n user; "%n/Maildir" for /home/<user>/Maildir
config = ["/etc/postfix", "/etc/dovecot"]
keys = ["/etc/opendkim/keys", "/etc/ssl/mail"]

[state]
dir = "/var/lib/mailvault"

[targets]
rpo = "26h"
rto = "1h"
"""


def test_reference_config_from_the_issue_validates(tmp_path: Path) -> None:
    path = tmp_path / "mailvault.toml"
    path.write_text(REFERENCE)
    config = load_config(path)
    assert config.targets.rpo == timedelta(hours=26)
    assert config.repository.is_s3
    assert config.sources.layout == "%d/%n/Maildir"
    assert config.retention.keep_daily == 7


def test_sample_config_validates_and_documents_every_section() -> None:
    text = sample_config()
    assert problems(tomllib.loads(text)) == []
    for section in ("[repository]", "[repository.s3]", "[sources]", "[targets]", "[retention]", "[check]"):
        assert section in text
    assert "# File holding the repository password" in text


def _base() -> dict[str, object]:
    return {"repository": {"url": "/r", "password_file": "/k"}, "sources": {"maildirs": ["/m"]}}


def test_unknown_keys_get_did_you_mean() -> None:
    data = _base()
    data["repository"] = {"url": "/r", "pasword_file": "/k", "password_file": "/k"}
    data["sorces"] = {}
    found = problems(data)
    assert "repository.pasword_file: unknown key; did you mean 'password_file'?" in found
    assert "sorces: unknown key; did you mean 'sources'?" in found


def test_every_problem_is_listed_with_its_path() -> None:
    data = _base()
    data["targets"] = {"rpo": "a day", "rto": "1h"}
    data["retention"] = {"keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0, "keep_yearly": 0}
    data["sources"] = {"maildirs": []}
    found = problems(data)
    assert any(p.startswith("targets.rpo: 'a day' is not a duration") for p in found)
    assert any(p.startswith("retention: a retention that keeps nothing") for p in found)
    assert any(p.startswith("sources.maildirs:") for p in found)
    assert len(found) == 3


def test_secret_sources_exactly_one() -> None:
    data = _base()
    data["repository"] = {"url": "/r"}
    assert problems(data) == [
        "repository: set one of password_file, password_command, password_env or password_credential"
    ]
    data["repository"] = {"url": "/r", "password_file": "/k", "password_env": "X"}
    assert problems(data) == ["repository: give only one of password_file, password_env"]
    data["repository"] = {"url": "s3:http://h/bucket", "password_file": "/k"}
    assert problems(data) == ["repository: an s3: url needs a [repository.s3] section with credentials"]


def test_layout_needs_user() -> None:
    data = _base()
    data["sources"] = {"maildirs": ["/m"], "layout": "%d/Maildir"}
    assert problems(data) == ["sources: layout must contain %n (the user), e.g. %d/%n/Maildir, or be dovecot"]


def test_inline_secret_in_world_readable_config_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[repository]\nurl = "/r"\npassword = "hunter2-very-secret"\n[sources]\nmaildirs = ["/m"]\n')
    path.chmod(0o644)
    with pytest.raises(SecretError, match=r"readable by others \(mode 0644\)") as info:
        load_config(path)
    assert f"chmod 600 {path}" in info.value.one_line()
    assert "hunter2" not in info.value.one_line()
    path.chmod(0o600)
    assert load_config(path).repository.password is not None


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[repository\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_durations() -> None:
    assert parse_duration("26h") == timedelta(hours=26)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("7d") == timedelta(days=7)
    for bad in ("", "h", "26", "1y", "26 hours"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert format_duration(timedelta(hours=26)) == "26h"
    assert format_duration(timedelta(days=14)) == "14d"
    assert format_duration(timedelta(seconds=90)) == "90s"


def test_drill_dkim_keys_take_quoted_or_dotted_names_and_need_a_resolver() -> None:
    from mailvault.config.schema import Config

    quoted = tomllib.loads('[drill]\ndkim = { "Mail._domainkey.example.org." = "/etc/dkim/mail.private" }\n')
    dotted = tomllib.loads('[drill]\ndkim = { mail._domainkey.example.org = "/etc/dkim/mail.private" }\n')
    for drill in (quoted, dotted):
        data = _base() | {"drill": {**drill["drill"], "dns_resolvers": ["127.0.0.1:5353"]}}
        config = Config.model_validate(data)
        assert config.drill.dkim == {"mail._domainkey.example.org": Path("/etc/dkim/mail.private")}
        assert config.drill_resolvers == ["127.0.0.1:5353"]
    without = _base() | {"drill": {"dkim": {"mail._domainkey.example.org": "/k"}}}
    assert problems(without) == [
        "(top level): drill.dkim needs resolvers to ask: set drill.dns_resolvers (or a [dns] section)"
    ]
    with_dns = without | {"dns": {"resolvers": ["127.0.0.1:53"]}}
    assert Config.model_validate(with_dns).drill_resolvers == ["127.0.0.1:53"]
    bad = _base() | {
        "drill": {"dkim": {"example.org": "/k", "mail._domainkey.example.org": "k"}, "dns_resolvers": ["x"]}
    }
    assert [p.split(": ", 1)[0] for p in problems(bad)] == ["drill.dkim"]
    assert "'example.org' is not a DKIM key record name" in problems(bad)[0]
