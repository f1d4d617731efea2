"""A plain imapclient session for tests that act as a mail client (set flags, expunge, append the
way Thunderbird would). mailvault itself goes through ``mailvault.imap``; a test poking the server
from outside uses the library directly, so that what it does is not shaped by the code under test."""

from __future__ import annotations

from imapclient import IMAPClient

from mailvault.demo.dovecot import DovecotServer


def imap(server: DovecotServer, user: str) -> IMAPClient:
    """Logged in as ``user``; folder names as on the wire (modified UTF-7)."""
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False)
    client.login(user, server.users[user])
    client.folder_encode = False
    return client
