"""The drill's DKIM lint: the restored key's public half against the published p=. Pure."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mailvault.drill.dkim import Published, judge, public_p, restored_key_p

NAME, KEY = "mail._domainkey.example.org", "/etc/dkim/mail.private"
PEM, NONE = serialization.Encoding.PEM, serialization.NoEncryption()


def rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, NONE)


def published(*records: str) -> Published:
    return Published(NAME, records, server="127.0.0.1:53")


def test_the_p_of_an_rsa_key_is_its_der_public_key_and_of_an_ed25519_key_the_raw_32_bytes() -> None:
    pem = rsa_pem()
    key = serialization.load_pem_private_key(pem, password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert public_p(pem) == base64.b64encode(der).decode()
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_pem = ed.private_bytes(PEM, serialization.PrivateFormat.PKCS8, NONE)
    assert len(base64.b64decode(public_p(ed_pem))) == 32
    with pytest.raises(ValueError, match="is not a PEM private key") as caught:
        public_p(b"-----BEGIN PRIVATE KEY-----\nsecret-bytes\n-----END PRIVATE KEY-----\n")
    assert "secret-bytes" not in str(caught.value)


def test_a_matching_key_passes_whatever_the_record_s_spacing_and_tags() -> None:
    p = public_p(rsa_pem())
    found = judge(NAME, KEY, p, published(f"v=DKIM1; k=rsa; t=s; p={p[:40]} {p[40:]}"))
    assert found.level == "pass" and found.phase == "lint" and p[-12:] in found.message and KEY in found.message


def test_a_different_or_revoked_key_fails_naming_both_fingerprints() -> None:
    mine, theirs = public_p(rsa_pem()), public_p(rsa_pem())
    found = judge(NAME, KEY, mine, published(f"v=DKIM1; p={theirs}"))
    assert found.level == "fail" and "would fail DKIM" in found.message
    assert mine[-12:] in found.message and theirs[-12:] in found.message
    revoked = judge(NAME, KEY, mine, published("v=DKIM1; p="))
    assert revoked.level == "fail" and "revoked" in revoked.message


def test_no_answer_no_record_or_no_key_in_the_record_warn() -> None:
    p = public_p(rsa_pem())
    assert judge(NAME, KEY, p, Published(NAME, problem="no resolver answered: x: timeout")).level == "warn"
    assert judge(NAME, KEY, p, published("v=spf1 -all")).level == "warn"
    several = judge(NAME, KEY, p, published(f"v=DKIM1; p={p}", f"v=DKIM1; p={public_p(rsa_pem())}"))
    assert several.level == "warn" and "2 keys" in several.message


def test_a_key_missing_from_the_restore_fails_even_when_dns_is_silent() -> None:
    found = judge(NAME, KEY, None, Published(NAME, problem="timeout"), why="missing from the restored files")
    assert found.level == "fail" and "missing from the restored files" in found.message


def test_the_restored_copy_is_read_under_the_restore_root(tmp_path: Path) -> None:
    pem = rsa_pem()
    (tmp_path / "etc" / "dkim").mkdir(parents=True)
    (tmp_path / "etc" / "dkim" / "mail.private").write_bytes(pem)
    assert restored_key_p(tmp_path, Path(KEY), ["/etc/dkim"]) == (public_p(pem), "")
    assert restored_key_p(tmp_path, Path("/etc/dkim/other.private"), ["/etc/dkim"]) == (
        None, "missing from the restored files",
    )  # fmt: skip
    assert restored_key_p(tmp_path, Path(KEY), ["/etc/ssl"])[1].startswith("not in the snapshot")
    (tmp_path / "etc" / "dkim" / "mail.private").write_text("garbage")
    public, why = restored_key_p(tmp_path, Path(KEY), ["/etc/dkim"])
    assert public is None and "is not a PEM private key" in why
