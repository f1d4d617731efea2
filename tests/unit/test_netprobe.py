"""The network probes, on loopback."""

from __future__ import annotations

import socket
import threading
import time

from mailvault import netprobe


def test_a_free_port_is_free_for_tcp_and_with_udp_too_for_udp() -> None:
    port = netprobe.free_port(udp_too=True)
    tcp, udp = socket.socket(socket.AF_INET, socket.SOCK_STREAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with tcp, udp:
        tcp.bind(("127.0.0.1", port))
        udp.bind(("127.0.0.1", port))
    assert not netprobe.listening(port)


def test_pairs_are_distinct_and_free_with_their_twins() -> None:
    ports = netprobe.free_port_pairs(3, twin_offset=10000)
    assert len(set(ports)) == 3
    for port in ports:
        assert 20000 <= port < 45000 and not netprobe.listening(port) and not netprobe.listening(port + 10000)


def test_wait_listening_sees_a_server_that_comes_up_late() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = int(server.getsockname()[1])
    threading.Timer(0.3, server.listen).start()
    try:
        assert not netprobe.listening(port)
        assert netprobe.wait_listening(port, timeout=5)
    finally:
        server.close()


def test_wait_listening_gives_up_once_the_process_died_even_if_something_else_answers() -> None:
    with socket.socket() as other:  # someone else's server on the port our process wanted
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = int(other.getsockname()[1])
        began = time.monotonic()
        assert not netprobe.wait_listening(port, timeout=5, alive=lambda: False)
        assert time.monotonic() - began < 1
        assert netprobe.wait_listening(port, timeout=5, alive=lambda: True)


def test_loopback_is_this_host_and_a_name_that_does_not_resolve_is_not() -> None:
    assert netprobe.is_this_host("127.0.0.1")
    assert not netprobe.is_this_host("no-such-host.invalid")
    assert netprobe.addresses("127.0.0.1", 993) == {"127.0.0.1"}
    assert netprobe.addresses("x" * 300 + ".invalid") == set()
