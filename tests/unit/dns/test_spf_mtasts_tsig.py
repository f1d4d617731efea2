from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailvault.dns.mtasts import Policy, parse_policy, txt_id
from mailvault.dns.spf import add_senders, allows, find_spf, quote, remove_senders, unquote
from mailvault.dns.tsig import load_key, parse_key
from mailvault.errors import ConfigError, SecretError


def test_spf_editing_keeps_the_rest_in_place() -> None:
    assert add_senders("v=spf1 mx include:_spf.example.net ~all", ["192.0.2.7", "2001:db8::7"]) == (
        "v=spf1 mx include:_spf.example.net ip4:192.0.2.7 ip6:2001:db8::7 ~all"
    )
    assert add_senders("v=spf1 ip4:192.0.2.7 -all", ["192.0.2.7"]) == "v=spf1 ip4:192.0.2.7 -all"
    assert add_senders("v=spf1 redirect=_spf.example.net", ["192.0.2.7"]) == (
        "v=spf1 ip4:192.0.2.7 redirect=_spf.example.net"
    )
    assert remove_senders("v=spf1 ip4:192.0.2.1 +ip4:192.0.2.2 -all", ["192.0.2.1", "192.0.2.2"]) == "v=spf1 -all"


@pytest.mark.parametrize(
    ("spf", "ip", "verdict"),
    [
        ("v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.9", True),
        ("v=spf1 ip4:192.0.2.0/24 -all", "198.51.100.1", False),
        ("v=spf1 -ip4:192.0.2.9 +all", "192.0.2.9", False),
        ("v=spf1 mx -all", "192.0.2.1", True),
        ("v=spf1 include:_spf.example.net -all", "192.0.2.1", None),
        ("v=spf1 ip6:2001:db8::/32 -all", "2001:db8::1", True),
        ("v=spf1 a ~all", "203.0.113.5", True),
    ],
)
def test_spf_verdicts(spf: str, ip: str, verdict: bool | None) -> None:
    assert allows(spf, ip, mx_addresses={"192.0.2.1"}, apex_addresses={"203.0.113.5"}) is verdict


def test_txt_quoting_round_trips_long_records() -> None:
    text = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + ' "quoted" -all'
    quoted = quote(text)
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', quoted)
    assert [len(s) for s in strings] == [255, 255, 102], "split into strings of at most 255"
    assert unquote(quoted) == text
    assert find_spf(('"v=DMARC1"', quoted)) == text and find_spf(('"hello"',)) is None


def test_mta_sts_policies() -> None:
    policy = parse_policy(
        "version: STSv1\r\nmode: testing\r\nmx: mx1.example.org\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
    )
    assert policy == Policy("testing", 86400, ("mx1.example.org", "*.example.net"))
    assert policy.covers("MX1.example.org.") and policy.covers("b.example.net") and not policy.covers("example.net")
    for bad, why in [
        ("mode: enforce\nmax_age: 1\n", "version"),
        ("version: STSv1\nmode: strict\nmax_age: 1\n", "mode"),
        ("version: STSv1\nmode: enforce\nmax_age: soon\n", "max_age"),
        ("version STSv1\n", "key: value"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_policy(bad)
    assert txt_id("v=STSv1; id=20260301T1200") == "20260301T1200" and txt_id("v=spf1") is None


KEY = 'key "mv-update" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";\n};\n'


def test_tsig_key_files(tmp_path: Path) -> None:
    key = parse_key(KEY, where="k")
    assert (key.name, key.algorithm, key.secret) == ("mv-update", "hmac-sha256", "c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
    assert "c2VjcmV0" not in repr(key)
    with pytest.raises(ConfigError, match="holds no TSIG key"):
        parse_key("nothing here", where="k")
    with pytest.raises(ConfigError, match="key 'x' has no secret line"):
        parse_key('key "x" { algorithm hmac-sha256; };', where="k")
    with pytest.raises(ConfigError, match="key 'x' has no algorithm line"):
        parse_key('key "x" { secret "c2VjcmV0"; };', where="k")
    for bad in ("not base64!", "c2VjcmV0=x", "", "===="):
        with pytest.raises(ConfigError, match="the secret of key 'x' is not base64"):
            parse_key(f'key "x" {{ algorithm hmac-sha256; secret "{bad}"; }};', where="k")
    with pytest.raises(ConfigError, match="has algorithm 'hmac-sha3'"):
        parse_key('key "x" { algorithm hmac-sha3; secret "c2VjcmV0"; };', where="k")
    path = tmp_path / "tsig.key"
    path.write_text(KEY)
    path.chmod(0o644)
    with pytest.raises(SecretError, match="readable by others"):
        load_key(path)
    path.chmod(0o640)
    assert load_key(path).name == "mv-update"
    with pytest.raises(SecretError, match="cannot read"):
        load_key(tmp_path / "missing.key")
