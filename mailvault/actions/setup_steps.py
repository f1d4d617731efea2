"""`mailvault setup`, its second half: with a config written, the first `init`, `backup`,
`restore-test` and `kit export`, each skipped when the state dir (or the kit file) shows it done, so
that a setup stopped halfway continues where it stopped when run again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mailvault.config.load import load_config
from mailvault.config.schema import Config
from mailvault.errors import DrillError
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)

Say = Callable[[str], None]


@dataclass(frozen=True)
class SetupStep:
    name: str  # init, backup, restore-test, kit export
    state: str  # done, already done
    detail: str
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pending(state_dir: Path, kit_out: Path) -> list[str]:
    """The steps not yet done, in order (init always runs again: it leaves a repository as it is)."""
    db = StateDB(StatePaths(state_dir).db) if StatePaths(state_dir).db.exists() else None
    todo = ["init"]
    if db is None or db.last_run("backup", status="ok") is None:
        todo.append("backup")
    if db is None or db.last_run("drill", status="ok") is None:
        todo.append("restore-test")
    if not kit_out.exists():
        todo.append("kit export")
    return todo


def run_steps(config_path: Path, kit_out: Path, passphrase: str | None, say: Say) -> list[SetupStep]:
    """Run what ``pending`` names, each timed; raise DrillError when the first drill fails (the
    config stays: fixing the cause and running setup again continues from the drill)."""
    config = load_config(config_path)
    todo = pending(config.state.dir, kit_out)
    done: list[SetupStep] = []
    for name in ("init", "backup", "restore-test", "kit export"):
        if name not in todo:
            done.append(
                SetupStep(name, "already done", "the state dir shows it" if name != "kit export" else str(kit_out))
            )
            continue
        say(f"setup: {name}...")
        started = time.monotonic()
        detail = _step(name, config, config_path, kit_out, passphrase, say)
        done.append(SetupStep(name, "done", detail, round(time.monotonic() - started, 1)))
    return done


def _step(name: str, config: Config, config_path: Path, kit_out: Path, passphrase: str | None, say: Say) -> str:
    """Run one step; return what it did, in a line."""
    from mailvault.actions import backup, drill, init, kit

    if name == "init":
        return "repository created" if init.init(config).repository_created else "already there"
    if name == "backup":
        b = backup.backup(config).manifest
        return f"{b.mailboxes} mailboxes, {b.messages} messages"
    if name == "restore-test":
        report = drill.restore_test(config, say=say)
        if report.verdict == "fail":
            failures = "; ".join(f.message for f in report.findings if f.level == "fail")
            raise DrillError(
                f"the first drill failed: {failures[:400]}",
                hint=f"see {report.paths.get('markdown', 'the report')}; fix the cause, then run"
                " `mailvault setup` again: it continues from the drill",
            )
        read = f"{report.mailboxes} mailboxes, {report.messages} messages read back"
        return f"{report.verdict}: {read}, RTO {report.rto_s or 0:.0f} s"
    assert passphrase is not None, "the CLI asks for the passphrase before the steps start"
    kit.export(config, config_path, kit_out, passphrase, armored=False)
    return f"{kit_out}: copy it off this host, apart from the backups"
