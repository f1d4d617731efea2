"""Every wrong value refused with one line naming the key and the fix (issue 16's cases)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailvault.actions.host_checks import host_problems
from mailvault.config.durations import format_duration, parse_duration
from mailvault.config.load import load_config, problems
from mailvault.config.schema import Config
from mailvault.errors import ConfigError
from mailvault.migrate.accounts import load_accounts


def _base(**extra: object) -> dict[str, object]:
    return {"repository": {"url": "/r", "password_file": "/k"}, "sources": {"maildirs": ["/m"]}, **extra}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (26, 'targets.rpo: 26 is not a duration; write it in quotes like "26h"'),
        (-26, 'targets.rpo: -26 is not a duration; write it in quotes like "26h"'),
        (True, 'targets.rpo: true is not a duration; write it in quotes like "26h"'),
        (2.5, 'targets.rpo: 2.5 is not a duration; write it in quotes like "26h"'),
        ("0s", 'targets.rpo: "0s" is no time at all; write a positive duration like "26h"'),
        ("-5h", "targets.rpo: '-5h' is not a duration; write it like 26h"),
        ("26", "targets.rpo: '26' is not a duration; write it like 26h"),
    ],
)
def test_an_rpo_that_is_not_a_positive_quoted_duration_is_refused(value: object, message: str) -> None:
    found = problems(_base(targets={"rpo": value}))
    assert len(found) == 1 and found[0].startswith(message), found


def test_a_zero_jitter_means_none_and_is_accepted() -> None:
    assert problems(_base(schedule={"backup": {"cron": "0 3 * * *", "jitter": "0s"}})) == []
    assert problems(_base(schedule={"backup": {"cron": "0 3 * * *", "jitter": 0}}))  # but not a bare number


@given(st.integers(min_value=1, max_value=10**9))
def test_a_duration_survives_its_compact_form(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


@given(st.text(max_size=30))
def test_any_text_is_a_duration_or_refused_with_the_hint(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        assert "write it like 26h" in str(exc)
    else:
        assert value >= timedelta(0)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3:http://127.0.0.1:8333/Bad_Bucket!", "bucket name 'Bad_Bucket!' is not valid for S3"),
        ("s3:http://127.0.0.1:8333/ab", "bucket name 'ab' is not valid for S3"),
        ("s3:http://127.0.0.1:8333/-bucket", "bucket name '-bucket' is not valid for S3"),
        ("s3:http://127.0.0.1:8333/my..bucket", "no '..'"),
        ("s3:http://127.0.0.1:8333/192.168.1.1", "no IP address"),
        ("s3:http://127.0.0.1:8333/", "names no bucket"),
        ("s3:http://127.0.0.1:99999/bucket", "has port '99999'"),
        ("s3:ftp://h/bucket", "has scheme 'ftp'"),
        ("s3:http:///bucket", "names no usable host"),
    ],
)
def test_an_s3_url_s3_refuses_is_refused_by_validate(url: str, message: str) -> None:
    data = _base()
    data["repository"] = {
        "url": url,
        "password_file": "/k",
        "s3": {"access_key_id_env": "A", "secret_access_key_env": "B"},
    }
    found = problems(data)
    assert len(found) == 1 and found[0].startswith("repository.url: ") and message in found[0], found


@pytest.mark.parametrize("url", ["hc-ping.com/uuid", "ftp://h/x", "http://h:70000/"])
def test_a_ping_url_that_cannot_be_requested_is_refused(url: str) -> None:
    found = problems(_base(alerts={"ping": {"backup": url}}))
    assert len(found) == 1 and found[0].startswith("alerts.ping.backup: "), found


def test_a_config_that_cannot_be_read_as_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "binary.toml").write_bytes(bytes(range(256)))
    (tmp_path / "latin1.toml").write_bytes('a = "K\xf6ln"\n'.encode("latin-1"))
    (tmp_path / "nul.toml").write_bytes(b"a = 1\x00\n")
    cases = {
        "dir.toml": "is a directory, not a file",
        "binary.toml": "is not UTF-8 text (byte 0x80 at offset 128)",
        "latin1.toml": "is not UTF-8 text (byte 0xf6 at offset 6)",
        "nul.toml": "is not valid TOML",
        "missing.toml": "does not exist",
    }
    for name, message in cases.items():
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path / name)
        assert f"config file {tmp_path / name} {message}" in caught.value.one_line()
        assert "\n" not in caught.value.one_line()
        with pytest.raises(ConfigError) as caught:
            load_accounts(tmp_path / name)
        assert f"accounts file {tmp_path / name} {message}" in caught.value.one_line()


def _host_config(tmp_path: Path, **extra: object) -> Config:
    (tmp_path / "vmail").mkdir(exist_ok=True)
    data = {"sources": {"maildirs": [str(tmp_path / "vmail")]}, **extra}
    data["repository"] = {"url": str(tmp_path / "repo"), "password_file": str(tmp_path / "repo.key")}
    return Config.model_validate(data)


def test_validate_checks_what_the_config_names_on_the_host(tmp_path: Path) -> None:
    assert host_problems(_host_config(tmp_path)) == []
    (tmp_path / "a-file").write_text("x")
    key = tmp_path / "tsig.key"
    key.write_text('key "mv" { algorithm hmac-sha256; secret "not base64!"; };\n')
    key.chmod(0o600)
    pw = tmp_path / "smtp.pw"
    pw.write_text("x")
    pw.chmod(0o644)
    config = _host_config(
        tmp_path,
        sources={"maildirs": [str(tmp_path / "a-file"), str(tmp_path / "nowhere")]},
        dns={"backend": "rfc2136", "server": "127.0.0.1", "tsig_key_file": str(key)},
        alerts={"email": {"to": ["root@example.org"], "password_file": str(pw), "username": "u"}},
    )
    found = host_problems(config)
    assert f"sources.maildirs[0]: {tmp_path / 'a-file'} is not a directory" in found
    assert f"sources.maildirs[1]: {tmp_path / 'nowhere'} does not exist" in found
    assert f"dns.tsig_key_file: {key}: the secret of key 'mv' is not base64" in " ".join(found)
    assert any(p.startswith(f"alerts.email.password_file: {pw} is readable by others (mode 0644)") for p in found)
    assert len(found) == 4, found
    os.chmod(pw, 0o640)  # root:mailvault 0640 is how a packaged secret may be shipped
    assert len(host_problems(config)) == 3
