"""Finding a snapshot by ``latest`` or id, and reading the manifest it carries."""

from __future__ import annotations

import random
from datetime import datetime

from mailvault.actions.engine import Engine
from mailvault.config.durations import parse_duration
from mailvault.errors import CommandFailed, RestoreError
from mailvault.mail.manifest_model import Manifest
from mailvault.tools import restic
from mailvault.tools.restic_output import Snapshot, parse_snapshots


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


def pick_for_drill(
    snapshots: list[Snapshot], spec: str, *, now: datetime, rng: random.Random | None = None
) -> Snapshot:
    """``latest``, an id, or ``random-within=30d`` (any snapshot of the last 30 days, so drills do not
    only ever prove the newest one)."""
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
