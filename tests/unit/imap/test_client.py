"""The IMAP door's translation of imapclient's and the socket's exceptions (pure: no server)."""

from __future__ import annotations

import pytest
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from mailvault.errors import ImapDropped, ImapRefused, MailvaultError
from mailvault.imap.client import answers


def test_a_no_or_bad_is_refused_with_the_servers_words() -> None:
    with pytest.raises(ImapRefused) as refused, answers("CREATE Archive"):
        raise IMAPClientError("create failed: [CANNOT] Invalid mailbox name")
    assert refused.value.reply == "create failed: [CANNOT] Invalid mailbox name"
    assert refused.value.one_line() == "CREATE Archive: create failed: [CANNOT] Invalid mailbox name"
    assert not refused.value.login


def test_a_refused_login_is_marked_so() -> None:
    with pytest.raises(ImapRefused) as refused, answers("LOGIN"):
        raise LoginError("[AUTHENTICATIONFAILED] Authentication failed.")
    assert refused.value.login


@pytest.mark.parametrize(
    "cause", [IMAPClientAbortError("socket error: EOF"), ConnectionResetError(104, "reset"), TimeoutError("timed out")]
)
def test_a_lost_connection_is_dropped_not_refused(cause: BaseException) -> None:
    with pytest.raises(ImapDropped) as dropped, answers("FETCH"):
        raise cause
    assert not isinstance(dropped.value, ImapRefused)
    assert isinstance(dropped.value, MailvaultError) and dropped.value.__cause__ is cause
    assert dropped.value.message.startswith("connection lost during FETCH")


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), answers("FETCH"):
        raise KeyError(b"BODY[]")
