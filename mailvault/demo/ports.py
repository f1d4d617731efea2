"""Free loopback ports for embedded servers."""

from __future__ import annotations

import random
import socket


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pairs(count: int, *, twin_offset: int = 10000) -> list[int]:
    """``count`` distinct ports P in 20000..45000 where P and P + ``twin_offset`` are both free.

    SeaweedFS listens on each service port and on port + 10000 for gRPC.
    """
    chosen: list[int] = []
    rng = random.Random()
    for _ in range(5000):
        port = rng.randrange(20000, 45000)
        if port in chosen or port + twin_offset in chosen or port - twin_offset in chosen:
            continue
        if _free(port) and _free(port + twin_offset):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError("no free loopback ports found")
