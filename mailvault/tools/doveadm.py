"""doveadm's command lines for `mailvault migrate --engine doveadm`, as tuples built by pure functions,
and what its settings dump and its failures mean.

The copy is ``doveadm sync -1 -R -u USER imapc:``: Dovecot's own dsync pulls (``-R``) from the old
server over IMAP (the ``imapc:`` storage) into this host's mail storage, one way (``-1``: the source
is never modified), keeping each folder's UIDVALIDITY and each message's UID. Not ``doveadm backup``,
which makes the destination look exactly like the source and so deletes destination mail the source
lacks; and not plain ``sync``, which is two-way and would write to the old server. ``sync -1`` itself
still mirrors onto the destination what the source expunged since an earlier dsync, so the engine
only ever lets dsync into destination folders that hold no mail (see migrate/dsync_engine.py).

The source password never appears here: it reaches doveadm in a config file that lives only in
memory (``password_config``), given with ``-c``; everything else travels as ``-o`` settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FEATURES = "rfc822.size fetch-headers"  # Dovecot's advice for migrating over IMAP
LOCK_SECONDS = 60  # -l: a second dsync for the same user waits for the first
SSL = {"implicit": "imaps", "starttls": "starttls", "none": "no"}
IMAPC_ESCAPE = "~"  # imapc writes a remote name part holding the local separator as ~2e (for '.')


@dataclass(frozen=True)
class Imapc:
    """The old server, as Dovecot's imapc storage reaches it."""

    host: str
    port: int
    tls: str  # "implicit" | "starttls" | "none"
    user: str
    ca_file: Path | None = None
    list_prefix: str = ""  # the source's personal namespace prefix without its separator ("INBOX")


def imapc_settings(source: Imapc) -> tuple[str, ...]:
    """``-o`` overrides that point imapc at ``source`` (no secret among them).

    >>> imapc_settings(Imapc("imap.old.example", 993, "implicit", "alice@example.com"))[:4]
    ('-o', 'imapc_host=imap.old.example', '-o', 'imapc_port=993')
    """
    pairs = [("imapc_host", source.host), ("imapc_port", str(source.port)), ("imapc_ssl", SSL[source.tls])]
    if source.tls != "none":
        pairs.append(("imapc_ssl_verify", "yes"))
        if source.ca_file is not None:
            pairs.append(("ssl_client_ca_file", str(source.ca_file)))
    pairs.append(("imapc_user", source.user))
    if source.list_prefix:
        pairs.append(("imapc_list_prefix", source.list_prefix))
    pairs += [("imapc_features", FEATURES), ("mail_prefetch_count", "20")]
    return tuple(part for key, value in pairs for part in ("-o", f"{key}={value}"))


def sync_argv(
    binary: str,
    config: Path,
    user: str,
    source: Imapc,
    *,
    namespace: str | None,
    exclude: Sequence[str] = (),
) -> tuple[str, ...]:
    """The one-way pull of ``user``'s mail from ``source``. ``namespace``: the name of the local inbox
    namespace whose prefix is set empty for the run (with a prefix such as ``INBOX.``, dsync 2.3 over
    imapc leaves INBOX out and still exits 0; the prefix is a view only: the files are the same).
    ``exclude``: folder names (wildcards ``*``/``?``) dsync must not touch."""
    prefix = ("-o", f"namespace/{namespace}/prefix=") if namespace else ()
    return (
        binary, "-c", str(config), *imapc_settings(source), *prefix,
        "sync", "-1", "-R", "-l", str(LOCK_SECONDS), *(part for name in exclude for part in ("-x", name)),
        "-u", user, "imapc:",
    )  # fmt: skip


def user_argv(binary: str, config: Path, user: str) -> tuple[str, ...]:
    """Look ``user`` up in the local userdb (exit 67 when unknown)."""
    return (binary, "-c", str(config), "user", user)


def config_argv(binary: str, config: Path) -> tuple[str, ...]:
    """The settings this engine needs from the local config, as ``key=value`` lines."""
    return (binary, "-c", str(config), "config", "-S", "namespace", "service/imap-login")


def password_config(config: Path, password: str) -> str:
    """A config that is ``config`` plus the imapc password, quoted for Dovecot's parser.

    >>> password_config(Path("/etc/dovecot/dovecot.conf"), 'p"w')
    '!include /etc/dovecot/dovecot.conf\\nimapc_password = "p\\\\"w"\\n'

    Raise ValueError when the password holds a line break or another control character, which a
    config line cannot carry.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise ValueError("the password holds a control character")
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')
    return f'!include {config}\nimapc_password = "{quoted}"\n'


def dsync_names(path: tuple[str, ...], separator: str) -> tuple[str, ...]:
    """The names dsync knows one folder by, for ``-x``: the local one (a separator inside a name part
    becomes ``_``, as dsync renames it) and, where it differs, the one the imapc side lists.

    >>> dsync_names(("Kunden", "A.B Müller"), ".")
    ('Kunden.A_B Müller', 'Kunden.A~2eB Müller')
    """
    if path == ("INBOX",):
        return ("INBOX",)
    local = separator.join(part.replace(separator, "_") for part in path)
    remote = separator.join(part.replace(separator, f"{IMAPC_ESCAPE}{ord(separator):02x}") for part in path)
    return (local,) if remote == local else (local, remote)


@dataclass(frozen=True)
class LocalConfig:
    """What the local Dovecot config says about the inbox namespace and the IMAP listeners."""

    namespace: str | None  # its name in the config (None: no inbox namespace found)
    prefix: str
    imap_ports: frozenset[int]


def parse_config(text: str) -> LocalConfig:
    """Read ``config_argv``'s output (``doveconf -S`` lines)."""
    settings = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    names = settings.get("namespace", "").split()
    inbox = next((n for n in names if settings.get(f"namespace/{n}/inbox") == "yes"), None)
    ports = {
        int(value)
        for key, value in settings.items()
        if key.startswith("service/imap-login/inet_listener/") and key.endswith("/port") and value.isdecimal()
    }
    prefix = settings.get(f"namespace/{inbox}/prefix", "") if inbox else ""
    return LocalConfig(inbox, prefix, frozenset(p for p in ports if p))


EX_RETRY, EX_NOUSER, EX_TEMPFAIL = 2, 67, 75


def explain_failure(code: int, stderr: str) -> tuple[str, str]:
    """What a failed dsync means and what to do, from its exit code and error output (never echoed
    with a secret: doveadm does not print the imapc password).

    >>> explain_failure(134, "Error: imapc(h:993): Authentication failed: [AUTHENTICATIONFAILED]")[0]
    'the source refused the login'
    """
    text = stderr.lower()
    if "authentication failed" in text or "authenticationfailed" in text:
        return "the source refused the login", "check source_user and the source password in the accounts file"
    if "connect(" in text or "disconnected from server" in text or ("ssl" in text and "handshake" in text):
        return "the source could not be reached", "check [source] host, port and tls in the accounts file"
    if code == EX_NOUSER or "user doesn't exist" in text:
        return "the destination user does not exist on this host", "create it first: `doveadm user USER` must find it"
    if "quota exceeded" in text or "over quota" in text:
        return "the destination mailbox is over its quota", "raise the quota, then run again"
    if code == EX_RETRY:
        return "mail changed while it was copied", "run again: the next run picks up the rest"
    if code == EX_TEMPFAIL:
        return "a temporary failure (locked by another dsync, or the config unreadable)", "run again in a while"
    if code < 0 or code > 128:
        return f"doveadm crashed (signal {abs(code) % 128})", "see the error lines; Dovecot's log may say more"
    return f"doveadm failed (exit {code})", "see the error lines; run again, or use --engine imap"


def inbox_paths_argv(config: Path | None) -> tuple[str, ...]:
    """Every user's INBOX directory, one line each (``user<TAB>path``, after a header), in one process.

    >>> inbox_paths_argv(None)
    ('doveadm', '-f', 'tab', 'mailbox', 'path', '-A', 'INBOX')
    """
    return ("doveadm", *(("-c", str(config)) if config else ()), "-f", "tab", "mailbox", "path", "-A", "INBOX")


def parse_inbox_paths(text: str) -> list[tuple[str, str]]:
    r"""
    >>> parse_inbox_paths("Username\tpath\nalice@x.org\t/var/vmail/x.org/a/l/alice/Maildir\n")
    [('alice@x.org', '/var/vmail/x.org/a/l/alice/Maildir')]
    """
    found = []
    for line in text.splitlines():
        user, sep, path = line.partition("\t")
        if sep and path.startswith("/"):
            found.append((user, path))
    return found
