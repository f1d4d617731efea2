"""Finding a snapshot by ``latest`` or id, and reading the manifest it carries."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from mailvault.actions.engine import Engine
from mailvault.config.durations import parse_duration
from mailvault.errors import CommandFailed, RestoreError
from mailvault.mail.manifest_model import Manifest
from mailvault.tools import restic
from mailvault.tools.restic_output import Snapshot, parse_forget, parse_snapshots


def list_snapshots(engine: Engine) -> list[Snapshot]:
    """mailvault's snapshots, oldest first, each with its manifest of record when it has one."""
    return parse_snapshots(engine.run(restic.snapshots_argv(engine.repo, records=True), "restic snapshots").stdout)


def pick(snapshots: list[Snapshot], spec: str) -> Snapshot:
    """``latest`` or an id (or a unique prefix of one). Raise RestoreError when there is no such snapshot."""
    if not snapshots:
        raise RestoreError("the repository holds no mailvault snapshot yet", hint="run `mailvault backup` first")
    if spec == "latest":
        return snapshots[-1]
    found = [s for s in snapshots if s.id.startswith(spec)]
    if len(found) != 1:
        why = "no snapshot" if not found else f"{len(found)} snapshots"
        raise RestoreError(f"{why} with id {spec}", hint="`mailvault snapshots` lists them; give more of the id")
    return found[0]


def manifest_path(snap: Snapshot) -> str:
    """Where the snapshot keeps its manifest: the ``.../manifest`` directory among its paths."""
    for path in snap.paths:
        if path.rstrip("/").endswith("/manifest"):
            return path.rstrip("/") + "/manifest.json"
    raise RestoreError(
        f"snapshot {snap.short_id} holds no mailvault manifest",
        hint="it was not made by `mailvault backup`; restore it with restic itself",
    )


def read_manifest(engine: Engine, snap: Snapshot) -> Manifest:
    """The manifest the snapshot carries: its scan, written before restic ran."""
    return dump_manifest(engine, snap.id, manifest_path(snap), whose=f"the manifest of snapshot {snap.short_id}")


def dump_manifest(engine: Engine, snapshot: str, path: str, *, whose: str) -> Manifest:
    """The manifest at ``path`` in ``snapshot``; RestoreError naming ``whose`` when it cannot be read."""
    try:
        text = engine.run(restic.dump_argv(engine.repo, snapshot, path), f"restic dump ({whose})").stdout
        return Manifest.from_json(text)
    except CommandFailed as exc:
        said = [line for line in exc.stderr_tail if line.strip()][-1:] or [f"exit {exc.returncode}"]
        raise RestoreError(
            f"{whose} cannot be read from the repository: {said[0]}",
            hint="the repository may be damaged: run `mailvault check`",
        ) from exc
    except ValueError as exc:
        raise RestoreError(f"{whose} is not valid: {exc}") from exc


OLDEST_KEPT = "oldest-kept"


def oldest_kept(snapshots: list[Snapshot], kept: set[str]) -> Snapshot:
    """The oldest of ``snapshots`` whose id retention keeps (a superseded one aside: its successor is
    the proof); RestoreError when there is none."""
    usable = [s for s in snapshots if s.id in kept and not (s.record and s.record.state == "superseded")]
    if not usable:
        raise RestoreError("retention keeps none of mailvault's snapshots", hint="run `mailvault backup` first")
    return min(usable, key=lambda s: s.time)


def kept_by_retention(engine: Engine, keep: restic.Retention) -> set[str]:
    """The ids of the snapshots ``keep`` keeps, as restic's own forget computes it (nothing forgotten)."""
    return set(
        parse_forget(engine.run(restic.forget_plan_argv(engine.repo, keep), "restic forget --dry-run").stdout).kept_ids
    )


def pick_for_drill(
    snapshots: list[Snapshot],
    spec: str,
    *,
    now: datetime,
    rng: random.Random | None = None,
    kept: Callable[[], set[str]] = set,
) -> Snapshot:
    """``latest``, an id, ``random-within=30d`` (any snapshot of the last 30 days, so drills do not
    only ever prove the newest one) or ``oldest-kept`` (the oldest snapshot retention keeps: ``kept``
    gives their ids, and a restore from it is the one furthest back an operator can count on)."""
    if spec == OLDEST_KEPT:
        return oldest_kept(snapshots, kept())
    if not spec.startswith("random-within="):
        return pick(snapshots, spec)
    try:
        window = parse_duration(spec.partition("=")[2])
    except ValueError as exc:
        raise RestoreError(f"--snapshot {spec}: {exc}") from None
    # (a snapshot a catch-up pass superseded lacks what moved while it was made: its successor is the proof)
    recent = [s for s in snapshots if s.time >= now - window and not (s.record and s.record.state == "superseded")]
    if not recent:
        raise RestoreError(f"no snapshot within the last {spec.partition('=')[2]}", hint="run `mailvault backup`")
    return (rng or random.Random()).choice(recent)
