"""`mailvault fleet keygen` and `mailvault fleet status`: the fleet's key pair, and one view of every
host whose summaries are in the buckets (or directories) given."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailvault.actions.fleet_store import Store, for_repository, for_source
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.fleet.seal import SealError, keygen, open_sealed
from mailvault.fleet.summary import FORMAT, PREFIX, VERSION, parse_key
from mailvault.fleet.view import LEVEL_NAMES, UNKNOWN, HostRow, Received, evaluate, fleet_level
from mailvault.keys.secrets import SecretSource, resolve
from mailvault.state.paths import write_atomic

if TYPE_CHECKING:
    from prometheus_client.core import Metric

logger = logging.getLogger(__name__)
CACHE_SECONDS = 60.0

READ_PER_KIND = 30  # the newest summaries of each kind per host: enough to judge, and a week's trend


@dataclass
class FleetResult:
    rows: list[HostRow]
    level: int
    sources: list[str]
    now: str
    hosts: int = field(init=False)
    html: str | None = None  # where --html wrote the page

    def __post_init__(self) -> None:
        self.hosts = len(self.rows)

    def as_dict(self, *, history: bool = False) -> dict[str, Any]:
        rows = [{k: v for k, v in r.as_dict().items() if history or k != "history"} for r in self.rows]
        return {"level": self.level, "state": LEVEL_NAMES[self.level], "now": self.now, "sources": self.sources,
                "html": self.html, "hosts": rows}  # fmt: skip


def write_keypair(out: Path) -> str:
    """Write a new fleet secret key to ``out`` (0600, never over an existing file); return the public key."""
    public, secret = keygen()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise MailvaultError(f"{out} exists: a fleet key is never overwritten", hint="give another --out") from None
    except OSError as exc:
        raise MailvaultError(f"the fleet key cannot be written to {out}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return public


def status(config: Config, *, identity: Path | None = None, sources: list[str] | None = None) -> FleetResult:
    path = identity or config.fleet.identity_file
    if path is None:
        raise MailvaultError("fleet status needs the fleet's secret key", hint="give --identity FILE or set"
                             " [fleet] identity_file (`mailvault fleet keygen` writes one)")  # fmt: skip
    secret = resolve(SecretSource("fleet identity", file=path))
    named = list(sources or config.fleet.sources)
    stores = [for_source(config, s) for s in named] or [for_repository(config)]
    received: list[Received] = []
    for store in stores:
        received += read_store(store, secret)
    now = datetime.now(UTC)
    rows = evaluate(received, now)
    return FleetResult(rows, fleet_level(rows), [s.where for s in stores], now.isoformat(timespec="seconds"))


def read_store(store: Store, secret: str) -> list[Received]:
    """The newest summaries of each kind of each host in ``store``, each opened or with its reason."""
    newest: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for key in store.keys(PREFIX):
        parts = parse_key(key)
        if parts is not None:
            newest.setdefault((parts.host, parts.kind), []).append((parts.seq, key))
    found = []
    for (host, kind), items in newest.items():
        for seq, key in sorted(items)[-READ_PER_KIND:]:
            data, error = _open(store, secret, key, host)
            found.append(Received(key, host, seq, kind, data, error))
    return found


def _open(store: Store, secret: str, key: str, host: str) -> tuple[dict[str, Any] | None, str | None]:
    blob = store.get(key)
    if blob is None:
        return None, "gone while it was read"
    try:
        data = json.loads(open_sealed(secret, blob, key.encode()))
    except SealError as exc:
        return None, str(exc)
    except ValueError:
        return None, "not a summary inside its seal"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, "not a summary inside its seal"
    if int(data.get("version", 0)) > VERSION:
        return None, f"written by a newer mailvault (summary version {data.get('version')})"
    if data.get("host") != host:
        return None, f"names host {data.get('host')!r} but is stored under {host!r}"
    return data, None


def write_page(result: FleetResult, directory: Path) -> Path:
    """The fleet page as ``directory``/index.html; MailvaultError naming the path when it cannot be."""
    from mailvault.report.fleet_page import render

    path = directory / "index.html"
    try:
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        write_atomic(path, render(result.rows, level=result.level, now=result.now, sources=result.sources), mode=0o644)
    except OSError as exc:
        raise MailvaultError(
            f"the fleet page cannot be written to {path}: {exc.strerror}", hint="give another --html"
        ) from exc
    return path


def metrics_source(
    config: Config, *, identity: Path | None, sources: list[str] | None, every: float = CACHE_SECONDS
) -> Callable[[], list[Metric]]:
    """The fleet's metrics for each scrape, the buckets read at most once per ``every`` seconds. A
    read that fails keeps the last figures and says so in the log (and the fleet level goes UNKNOWN)."""
    from mailvault.monitor.fleet_metrics import families

    status(config, identity=identity, sources=sources)  # (refuse a wrong key or source at start, not at a scrape)
    cache: dict[str, Any] = {"at": 0.0, "metrics": []}

    def source() -> list[Metric]:
        if time.monotonic() - cache["at"] >= every:
            try:
                result = status(config, identity=identity, sources=sources)
                cache["metrics"] = families(result.rows, result.level)
            except MailvaultError as exc:
                logger.warning("the fleet could not be read: %s", exc.one_line())
                cache["metrics"] = families([], UNKNOWN)
            cache["at"] = time.monotonic()
        return list(cache["metrics"])

    return source
