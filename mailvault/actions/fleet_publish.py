"""After each backup, prune, check and drill: the run's summary, sealed to ``[fleet] recipient``, put
beside the repository. A summary that cannot be stored is a warning in the log, never the job's
failure. Older summaries beyond ``[fleet] keep`` per kind are deleted."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from mailvault import __version__, netprobe
from mailvault.actions.fleet_store import Store, for_repository
from mailvault.config.schema import Config
from mailvault.errors import MailvaultError
from mailvault.fleet.seal import seal
from mailvault.fleet.summary import PREFIX, host_name, object_key, parse_key, summarize
from mailvault.monitor.facts import REPO_BYTES
from mailvault.state.db import RunRecord, StateDB
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)
SEQ_KEY = "fleet.seq"


def publish(config: Config, kind: str) -> None:
    if config.fleet.recipient is None:
        return
    try:
        key = _publish(config, kind)
    except (MailvaultError, OSError, ValueError) as exc:
        why = exc.one_line() if isinstance(exc, MailvaultError) else str(exc)
        logger.warning("the fleet summary of this %s could not be stored beside the backups: %s", kind, why)
        return
    if key:
        logger.info("fleet summary stored: %s", key)


def _publish(config: Config, kind: str) -> str | None:
    paths = StatePaths(config.state.dir)
    db = StateDB(paths.db)
    run = db.last_run(kind)
    if run is None or run.status == "running" or db.get(f"{SEQ_KEY}.{kind}") == str(run.id):
        return None  # (no run, or this one already told: a run refused by the lock ran nothing)
    host = host_name(config.fleet.host or netprobe.hostname())
    store = for_repository(config)
    mine = [(parse_key(k), k) for k in store.keys(f"{PREFIX}{host}/")]
    seq = max([int(db.get(SEQ_KEY) or 0), *(p.seq for p, _ in mine if p)]) + 1
    data = summarize(kind, _run(run), _facts(config, db, host, seq))
    key = object_key(PREFIX, host, seq, kind, datetime.now(UTC))
    assert config.fleet.recipient is not None
    store.put(key, seal(config.fleet.recipient, json.dumps(data).encode(), key.encode()))
    db.put(SEQ_KEY, str(seq))
    db.put(f"{SEQ_KEY}.{kind}", str(run.id))
    _forget_old(store, [(p.seq, k) for p, k in mine if p and p.kind == kind] + [(seq, key)], config.fleet.keep)
    return key


def _run(run: RunRecord) -> dict[str, object]:
    return {"id": run.id, "started": run.started, "finished": run.finished, "status": run.status,
            "summary": run.summary}  # fmt: skip


def _facts(config: Config, db: StateDB, host: str, seq: int) -> dict[str, object]:
    size = db.get(REPO_BYTES)
    return {
        "host": host, "seq": seq, "mailvault": __version__,
        "rpo_target_s": config.targets.rpo.total_seconds(), "rto_target_s": config.targets.rto.total_seconds(),
        "repository_bytes": int(size) if size and size.isdecimal() else None, "kit_fresh": _kit_fresh(config),
    }  # fmt: skip


def _kit_fresh(config: Config) -> bool | None:
    from mailvault.kit.status import status

    try:
        return status(config.repository, config.state.dir).ok
    except MailvaultError:
        return None


def _forget_old(store: Store, same_kind: list[tuple[int, str]], keep: int) -> None:
    old = [key for _, key in sorted(same_kind)[:-keep]]
    if old:
        store.delete(old)
