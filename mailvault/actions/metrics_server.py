"""`mailvault metrics serve`: the metrics over HTTP, rebuilt from the state DB on every scrape."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable

from prometheus_client import start_http_server
from prometheus_client.core import Metric

from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.monitor.job import current_metrics
from mailvault.monitor.metrics import live_registry

logger = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdecimal() or not 0 < int(port) < 65536:
        raise MailvaultError(f"--listen {listen!r} is not host:port", hint="write it like 127.0.0.1:9898")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(config: Config, listen: str, *, stop: threading.Event | None = None) -> None:
    serve_source(lambda: current_metrics(config), listen, stop=stop)


def serve_source(source: Callable[[], Iterable[Metric]], listen: str, *, stop: threading.Event | None = None) -> None:
    """Serve ``source``'s metrics, built on each scrape, until SIGTERM (or ``stop``)."""
    host, port = parse_listen(listen)
    registry = live_registry(source)
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise MailvaultError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="pick a free port with --listen"
        ) from exc
    logger.info("serving metrics on http://%s:%d/metrics", host, port)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.shutdown()
        thread.join(timeout=5)
