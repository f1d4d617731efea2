"""The network probes: free loopback ports, "is something listening there yet?", this host's names
and addresses. The protocol doors keep their own sockets (S3 in ``storage/``, DNS in ``dns/``,
IMAP in ``imap/``); everything else that touches the network at this level comes here.
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def hostname() -> str:
    """This machine's short host name (what restic records with a snapshot and a lock)."""
    return socket.gethostname()


def fqdn() -> str:
    return socket.getfqdn()


def free_port(*, udp_too: bool = False) -> int:
    """A loopback TCP port nothing listens on (with ``udp_too``, free for UDP as well: DNS).

    The port is only free when asked: whoever starts a server on it must check that it is its own
    server that answers (see :func:`wait_listening`, given the server's ``alive``)."""
    for _ in range(200):
        kind = socket.SOCK_DGRAM if udp_too else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind((LOOPBACK, 0))
            port = int(first.getsockname()[1])
            if not udp_too or _bindable(port, socket.SOCK_STREAM):
                return port
    raise OSError("no free loopback port found")


def free_port_pairs(count: int, *, twin_offset: int = 10000) -> list[int]:
    """``count`` distinct ports P in 20000..45000 where P and P + ``twin_offset`` are both free
    (SeaweedFS listens on each service port and on port + 10000 for gRPC)."""
    chosen: list[int] = []
    rng = random.Random()
    for _ in range(5000):
        port = rng.randrange(20000, 45000)
        if port in chosen or port + twin_offset in chosen or port - twin_offset in chosen:
            continue
        if _bindable(port, socket.SOCK_STREAM) and _bindable(port + twin_offset, socket.SOCK_STREAM):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise OSError("no free loopback ports found")


def _bindable(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def listening(port: int, host: str = LOOPBACK, *, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``host``:``port`` is accepted now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def wait_listening(
    port: int, *, timeout: float, alive: Callable[[], bool] | None = None, host: str = LOOPBACK, every: float = 0.1
) -> bool:
    """Poll until ``host``:``port`` accepts a connection (True) or ``timeout`` seconds pass (False).
    With ``alive``, stop early (False) once the server's process has died: then whatever answers on
    the port is not that server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        if listening(port, host, timeout=min(1.0, max(0.05, deadline - time.monotonic()))):
            return alive is None or alive()
        time.sleep(every)
    return False


def addresses(host: str, port: int | None = None) -> set[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):  # (a label too long for IDNA is a UnicodeError)
        return set()


def is_this_host(host: str) -> bool:
    """True when every address of ``host`` belongs to this machine (a socket can bind to it)."""
    found = addresses(host)
    for address in found:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                return False
    return bool(found)
