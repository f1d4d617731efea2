"""The one error hierarchy. Every message is a finished sentence for an operator.

The CLI edge turns a :class:`MailvaultError` into one clean line and its
``exit_code``; anything else is a bug (exit 3, traceback to a log file).
"""

from __future__ import annotations

import os
import pwd


class MailvaultError(Exception):
    """An expected failure, explained to the operator. ``hint`` says what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []

    def one_line(self) -> str:
        """The message and its hint on one line, as printed by the CLI."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(MailvaultError):
    """The configuration is missing, unreadable or invalid (exit 2)."""

    exit_code = 2


class SecretError(MailvaultError):
    """A secret could not be read, or is stored where others can read it."""

    exit_code = 2


class ToolError(MailvaultError):
    """An external program is missing, too old, or failed."""


class CommandFailed(ToolError):
    """An external command exited non-zero; carries its (masked) evidence."""

    def __init__(
        self,
        message: str,
        *,
        command: str,
        returncode: int,
        stderr_tail: list[str],
        hint: str | None = None,
    ) -> None:
        super().__init__(
            message, hint=hint, details=[f"command: {command}", *(f"stderr:  {line}" for line in stderr_tail)]
        )
        self.command = command
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class DoveadmError(ToolError):
    """The local Dovecot cannot be used for a migration (doveadm missing, its config unreadable, the
    user unknown), or its dsync failed."""


class RepositoryError(MailvaultError):
    """The backup repository cannot be reached, opened or used."""


class PasswordRefused(RepositoryError):
    """The repository did not accept the password."""


class RepositoryLocked(RepositoryError):
    """Another process holds an exclusive lock on the repository."""


class StorageError(MailvaultError):
    """The S3 endpoint or bucket cannot be reached or used."""


class SourceError(MailvaultError):
    """A backup source (maildir root, config or key path) is missing or unreadable."""


def unreadable_source(path: object, how: str = "") -> SourceError:
    """A source this user may not read, named with the user and the fix (``how``: where it came from)."""
    user = pwd.getpwuid(os.geteuid()).pw_name
    return SourceError(
        f"{path} is not readable by {user}, who runs mailvault{f' ({how})' if how else ''}",
        hint=f"run mailvault as root, or let {user} read it: setfacl -R -m u:{user}:rX {path}",
    )


class LockedError(MailvaultError):
    """Another run holds the lock; nothing was done."""


class BackupIncomplete(MailvaultError):
    """restic saved a snapshot but could not read some files."""


class BackupPartial(BackupIncomplete):
    """The snapshot lacks messages that were on disk before and after the backup (missed by restic's
    walk and not caught up). ``summary`` is what the run history records of it."""

    def __init__(self, message: str, *, summary: dict[str, object], hint: str | None = None,
                 details: list[str] | None = None) -> None:  # fmt: skip
        super().__init__(message, hint=hint, details=details)
        self.summary = summary


class KitError(MailvaultError):
    """A recovery kit that cannot be read: not a kit, damaged, wrong passphrase, newer format."""


class RestoreError(MailvaultError):
    """A restore that cannot be done as asked: bad selector, non-empty target, missing snapshot."""


class DrillError(MailvaultError):
    """A restore drill that could not run: no container runtime, no image, a phase that broke."""


class ImapError(MailvaultError):
    """An IMAP server that cannot be reached, refuses a login, or answers unexpectedly."""


class ImapUnreachable(ImapError):
    """The server did not answer at all: worth trying again a little later."""


class ImapRefused(ImapError):
    """The server answered a command with NO or BAD (``reply``: its words). The session goes on."""

    def __init__(self, command: str, reply: str, *, login: bool = False) -> None:
        super().__init__(f"{command}: {reply}")
        self.command = command
        self.reply = reply
        self.login = login  # a LOGIN or AUTHENTICATE the server turned down: the credentials


class ImapDropped(ImapError):
    """The connection was lost mid-session (reset, timeout, BYE): reconnect and redo what was under way."""


class ImapUntrusted(ImapError):
    """The IMAP server was reached but its TLS certificate is not trusted; trying again will not help."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"{where}: its TLS certificate is not trusted ({reason})",
            hint="for a private CA set ca_file in the accounts file's server section; else fix the certificate",
        )
        self.reason = reason


class DnsError(MailvaultError):
    """A DNS server could not be asked, or a zone cannot be planned for or changed."""


class DnsUpdateRefused(DnsError):
    """The primary refused an update (TSIG key, policy); nothing of that update was applied."""


class DnsConflict(DnsError):
    """The zone no longer holds what the plan or journal expects: someone else edited it."""


class GateClosed(DnsError):
    """The cutover gate has not passed: resolvers may still hand out the old records."""
