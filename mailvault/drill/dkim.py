"""Does a restored DKIM private key still match the key its domain publishes in DNS?

A restore whose DKIM key no longer matches the ``p=`` of its TXT record would sign mail that every
receiver's DKIM check fails, so a mismatch fails the drill; a resolver that does not answer, or a
record that is not there, is a warning (the drill cannot tell). The private key is read only to
derive its public half: nothing of it is ever put in a finding.

:func:`public_p` and :func:`judge` are pure; :func:`look_up` asks the resolvers (the DNS edge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailvault.dns.checks import dkim_public_key
from mailvault.dns.dkim import public_p
from mailvault.dns.spf import unquote
from mailvault.drill.judge import Finding

MAX_CNAME_HOPS = 4


@dataclass(frozen=True)
class Published:
    """What the resolvers said about one key record: ``records`` (the TXT strings, unquoted) when
    one answered with them, else ``problem`` (why there is nothing to compare with)."""

    name: str
    records: tuple[str, ...] = ()
    problem: str = ""
    server: str = ""


def judge(name: str, key_path: str, restored_p: str | None, published: Published, *, why: str = "") -> Finding:
    """One finding for the key at ``key_path`` (its path on the live host) and the record ``name``.

    ``restored_p`` is the restored key's public half (None when it could not be read: ``why`` says
    why). Pass when exactly the published ``p=`` equals it; fail when the key is missing or differs;
    warn when DNS gave nothing to compare with, or several keys at one name.

    >>> judge("mail._domainkey.example.org", "/etc/dkim/mail.private", "MIIBIjAN",
    ...       Published("mail._domainkey.example.org", ("v=DKIM1; k=rsa; p=MIIB IjAN",))).level
    'pass'
    """
    what = f"DKIM key {key_path} ({name})"
    if restored_p is None:
        return Finding("fail", "lint", f"{what}: {why or 'not restored'}: the restored server could not sign mail")
    if published.problem:
        return Finding("warn", "lint", f"{what}: not compared with DNS: {published.problem}")
    keys = [p for p in (dkim_public_key(r) for r in published.records) if p is not None]
    if not keys:
        return Finding("warn", "lint", f"{what}: {name} publishes no DKIM key (no p= in its TXT records)")
    if restored_p not in keys:
        revoked = " (an empty p=: the key is revoked)" if keys == [""] else ""
        return Finding("fail", "lint", (
            f"{what}: the restored key does not match the p= published at {name}{revoked}"
            f" (restored {_tail(restored_p)}, published {', '.join(_tail(k) for k in keys)}):"
            " mail signed with it would fail DKIM"
        ))  # fmt: skip
    if len(keys) > 1:
        return Finding("warn", "lint", f"{what}: matches, but {name} publishes {len(keys)} keys; receivers may"
                       " pick another")  # fmt: skip
    return Finding("pass", "lint", f"{what}: the restored key matches the published p= ({_tail(restored_p)})")


def _tail(p: str) -> str:
    """A short, public fingerprint of a p= value: its last 12 characters."""
    return f"p=…{p[-12:]}" if p else "p= (empty)"


def restored_key_p(restore_root: Path, key_path: Path, backed_up: Sequence[str]) -> tuple[str | None, str]:
    """The public half of the restored copy of ``key_path``, or (None, why not)."""
    if not any(key_path.is_relative_to(p) for p in backed_up):
        return None, "not in the snapshot (add its directory to sources.keys)"
    copy = restore_root / str(key_path).lstrip("/")
    try:
        return public_p(copy.read_bytes()), ""
    except FileNotFoundError:
        return None, "missing from the restored files"
    except (OSError, ValueError) as exc:
        return None, f"the restored copy {exc.strerror if isinstance(exc, OSError) else exc}"


def look_up(name: str, resolvers: Sequence[str], *, timeout: float) -> Published:
    """Ask each resolver in turn (recursively, following CNAMEs) for the TXT records at ``name``;
    the first one that answers decides. Never raises."""
    from mailvault.dns.query import ask, parse_server

    silent: list[str] = []
    for text in resolvers:
        try:
            server = parse_server(text)
        except ValueError as exc:
            silent.append(str(exc))
            continue
        target = name
        for _ in range(MAX_CNAME_HOPS):
            answer = ask(server, target, "TXT", timeout=timeout, recursive=True)
            if answer.status != "cname" or not answer.cname:
                break
            target = answer.cname
        if answer.status == "ok" and answer.rrset is not None:
            return Published(name, tuple(unquote(v) for v in answer.rrset.values), server=str(server))
        if answer.status in ("nodata", "nxdomain"):
            return Published(name, problem=f"{server} says {name} has no TXT record ({answer.status})")
        silent.append(f"{server}: {answer.status}" + (f" ({answer.detail})" if answer.detail else ""))
    if not silent:
        return Published(name, problem="no resolver is configured")
    return Published(name, problem="no resolver answered: " + "; ".join(silent))
