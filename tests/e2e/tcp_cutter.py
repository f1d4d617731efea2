"""A tiny TCP proxy on 127.0.0.1 that cuts connections: a network that drops mid-APPEND, for real.

It forwards every connection to ``upstream_port`` (a real Dovecot) and closes both sides of a
connection once it has carried ``after_bytes`` client -> server (in the middle of the literal of a
large APPEND: the server stores nothing). With ``on_reply`` as well, it waits for the server's next
answer containing those bytes and cuts instead of passing it on (``b"APPENDUID"``: the server has
committed the APPEND, the client never hears so).

``times`` is how many connections are cut (``None``: every one); ``cuts`` counts those done;
``stop_cutting()`` turns it into a plain proxy.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class TcpCutter:
    def __init__(
        self, upstream_port: int, *, after_bytes: int, on_reply: bytes | None = None, times: int | None = 1
    ) -> None:
        self.upstream_port = upstream_port
        self.after_bytes, self.on_reply, self.times = after_bytes, on_reply, times
        self.cuts = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> TcpCutter:
        self.thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.listener.close()

    def stop_cutting(self) -> None:
        with self.lock:
            self.times = 0

    def _may_cut(self) -> bool:
        with self.lock:
            if self.times is not None and self.cuts >= self.times:
                return False
            self.cuts += 1
            return True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            link = _Link(client, server)
            threading.Thread(target=self._up, args=(link,), daemon=True).start()
            threading.Thread(target=self._down, args=(link,), daemon=True).start()

    def _up(self, link: _Link) -> None:
        with link:
            while data := link.client.recv(65536):
                if self.on_reply is None and link.carried + len(data) > self.after_bytes and self._may_cut():
                    link.server.sendall(data[: max(0, self.after_bytes - link.carried)])  # up to the cut
                    return
                link.carried += len(data)
                link.server.sendall(data)

    def _down(self, link: _Link) -> None:
        with link:
            while data := link.server.recv(65536):
                if (self.on_reply is not None and self.on_reply in data and link.carried > self.after_bytes
                        and self._may_cut()):  # fmt: skip
                    return  # the server's answer never arrives
                link.client.sendall(data)


class _Link:
    """One proxied connection: both sockets, and the bytes carried client -> server."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server, self.carried = client, server, 0

    def __enter__(self) -> _Link:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> bool:
        for sock in (self.client, self.server):  # either direction ending ends both
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        return True  # a socket error in a pump is the end of that connection, nothing more
