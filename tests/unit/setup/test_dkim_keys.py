"""DKIM keys from the signers' own configs, as OpenDKIM and rspamd lay them out."""

from __future__ import annotations

from pathlib import Path

from mailvault.setup.dkim_keys import DkimKey, opendkim, rspamd


def test_opendkim_keytable_and_single_key_configs(tmp_path: Path) -> None:
    table = tmp_path / "KeyTable"
    table.write_text(
        "# name  domain:selector:keyfile\n"
        f"mail._domainkey.example.org example.org:mail:{tmp_path}/keys/example.org/mail.private\n"
        f"s2026._domainkey.example.com example.com:s2026:{tmp_path}/keys/example.com/s2026.private\n"
    )
    conf = tmp_path / "opendkim.conf"
    conf.write_text(f"Syslog yes\nKeyTable refile:{table}\nSigningTable refile:{tmp_path}/SigningTable\n")
    assert opendkim(conf) == [
        DkimKey("mail._domainkey.example.org", f"{tmp_path}/keys/example.org/mail.private", f"from {table}"),
        DkimKey("s2026._domainkey.example.com", f"{tmp_path}/keys/example.com/s2026.private", f"from {table}"),
    ]
    single = tmp_path / "single.conf"
    single.write_text("Domain example.net\nSelector mail\nKeyFile /etc/dkimkeys/mail.private\n")
    assert opendkim(single) == [DkimKey("mail._domainkey.example.net", "/etc/dkimkeys/mail.private", f"from {single}")]


def test_rspamd_domain_blocks_and_a_path_template_over_the_keys_that_exist(tmp_path: Path) -> None:
    keys = tmp_path / "dkim"
    keys.mkdir()
    for name in ("example.org.mail.key", "example.com.s1.key", "notes.txt"):
        (keys / name).write_text("k")
    conf = tmp_path / "dkim_signing.conf"
    conf.write_text(
        "# rspamd local.d/dkim_signing.conf\n"
        f'path = "{keys}/$domain.$selector.key";\n'
        'selector = "dkim";\n'
        "domain {\n"
        f'  example.net {{ selector = "2026"; path = "{keys}/net.key"; }}\n'
        "}\n"
    )
    found = rspamd(conf)
    assert [k.record for k in found] == [
        "2026._domainkey.example.net", "s1._domainkey.example.com", "mail._domainkey.example.org",
    ]  # fmt: skip
    assert found[0].path == f"{keys}/net.key" and found[1].path == f"{keys}/example.com.s1.key"
    assert "path template" in found[1].how
