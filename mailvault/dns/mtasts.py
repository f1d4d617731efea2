"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record and the policy file. Parsing is pure; fetching the
policy over HTTPS is :func:`fetch_policy`."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Policy:
    mode: str
    max_age: int
    mx: tuple[str, ...]

    def covers(self, host: str) -> bool:
        """Whether MX host ``host`` matches one of the policy's ``mx`` patterns (``*.`` is one label).

        >>> Policy("enforce", 86400, ("*.example.net",)).covers("mx1.example.net.")
        True
        >>> Policy("enforce", 86400, ("*.example.net",)).covers("a.b.example.net")
        False
        """
        host = host.lower().rstrip(".")
        for pattern in self.mx:
            pattern = pattern.lower().rstrip(".")
            if pattern.startswith("*."):
                first, _, rest = host.partition(".")
                if first and rest == pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False


def parse_policy(text: str) -> Policy:
    """Parse a policy file; raise ValueError naming what is wrong.

    >>> parse_policy("version: STSv1\\nmode: enforce\\nmx: mx.example.org\\nmax_age: 604800\\n")
    Policy(mode='enforce', max_age=604800, mx=('mx.example.org',))
    """
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"policy line {line!r} is not 'key: value'")
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    if fields.get("version") != ["STSv1"]:
        raise ValueError("policy has no 'version: STSv1'")
    mode = (fields.get("mode") or [""])[0]
    if mode not in ("enforce", "testing", "none"):
        raise ValueError(f"policy mode {mode!r} is not enforce, testing or none")
    try:
        max_age = int((fields.get("max_age") or [""])[0])
    except ValueError:
        raise ValueError("policy max_age is not a number of seconds") from None
    return Policy(mode, max_age, tuple(fields.get("mx", [])))


def txt_id(txt: str) -> str | None:
    """The ``id`` of an ``_mta-sts`` TXT value such as ``v=STSv1; id=20260101``."""
    fields = dict(part.strip().partition("=")[::2] for part in txt.split(";") if "=" in part)
    return fields.get("id") if fields.get("v") == "STSv1" else None


def fetch_policy(domain: str, *, ca_file: Path | None, timeout: float, address: str | None = None) -> str:
    """The policy text from ``https://mta-sts.DOMAIN/.well-known/mta-sts.txt``, its certificate verified
    for that name; raise OSError (with the reason) when it cannot be fetched.

    ``address``: connect there (the policy host's address as the zone's own servers publish it)
    instead of resolving the name through this machine's resolver, which may be split-horizon or
    still caching an old answer. The TLS name and the Host header stay ``mta-sts.DOMAIN``.
    """
    host = f"mta-sts.{domain.rstrip('.')}"
    target = f"https://{host}/.well-known/mta-sts.txt"
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    connection = http.client.HTTPSConnection(host, 443, timeout=timeout, context=context)
    if address is not None:
        connection._create_connection = (  # type: ignore[attr-defined]
            lambda where, *args, **kwargs: socket.create_connection((address, where[1]), *args, **kwargs)
        )
    try:
        connection.request("GET", "/.well-known/mta-sts.txt", headers={"Host": host})
        response = connection.getresponse()
        if response.status != 200:
            raise OSError(f"{target}: HTTP {response.status} {response.reason}")
        return response.read(65536).decode("utf-8", "replace")
    except ssl.SSLError as exc:
        raise OSError(f"{target}: TLS: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, OSError) and str(exc).startswith(target):
            raise
        raise OSError(f"{target}: {exc}") from None
    finally:
        connection.close()
