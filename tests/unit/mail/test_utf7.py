import pytest

from mailvault.mail import utf7


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("日本語", "&ZeVnLIqe-"),
        ("Reçus", "Re&AOc-us"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ],
)
def test_roundtrip(text: str, wire: str) -> None:
    assert utf7.encode(text) == wire
    assert utf7.decode(wire) == text


def test_malformed_is_kept() -> None:
    assert utf7.decode("bad&zz") == "bad&zz"
    assert utf7.decode("bad&!!-x") == "bad&!!-x"
