from pathlib import Path

import pytest

from mailvault.errors import LockedError, MailvaultError, RepositoryError
from mailvault.state.db import StateDB
from mailvault.state.run import recorded_run


def test_ok_failed_and_interrupted_runs_are_recorded(tmp_path: Path) -> None:
    with recorded_run(tmp_path, "check") as run:
        run.summary = {"subset": "1/3"}
    with pytest.raises(RepositoryError), recorded_run(tmp_path, "check") as run:
        run.summary = {"subset": "2/3"}
        raise RepositoryError("restic check found damage", hint="read its output")
    with pytest.raises(KeyboardInterrupt), recorded_run(tmp_path, "backup"):
        raise KeyboardInterrupt
    runs = StateDB(tmp_path / "state.db").runs()
    assert [(r.kind, r.status, r.summary, r.error) for r in runs] == [
        ("backup", "failed", {}, "KeyboardInterrupt"),
        ("check", "failed", {"subset": "2/3"}, "restic check found damage (read its output)"),
        ("check", "ok", {"subset": "1/3"}, None),
    ]


def test_second_run_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    busy = r"another mailvault run is in progress \(backup, pid \d+\)"
    with recorded_run(tmp_path, "backup"), pytest.raises(LockedError, match=busy), recorded_run(tmp_path, "prune"):
        pass
    assert [r.kind for r in StateDB(tmp_path / "state.db").runs()] == ["backup"]


def test_a_run_that_never_finished_is_marked_interrupted(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.db")
    db.start_run("backup")  # as if killed with SIGKILL
    with recorded_run(tmp_path, "backup") as run:
        assert run.after_interrupted
    with recorded_run(tmp_path, "backup") as run:
        assert not run.after_interrupted
    assert [r.status for r in db.runs()] == ["ok", "ok", "interrupted"]


def test_unwritable_state_dir_fails_loudly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MailvaultError, match=r"state dir .* is not writable"), recorded_run(blocker / "state", "x"):
        pass
