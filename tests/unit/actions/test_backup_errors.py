"""Which files restic could not read are damage, and which are churn on a live store."""

from __future__ import annotations

from pathlib import Path

from mailvault.actions.backup import _still_there
from mailvault.actions.fs_snapshot import View
from mailvault.tools.restic_output import parse_backup_line


def _error(path: Path, errno: int) -> object:
    line = f'{{"message_type":"error","error":{{"Op":"open","Path":"{path}","Err":{errno}}},"item":"{path}"}}'
    return parse_backup_line(line)


def test_a_file_restic_found_missing_is_churn_even_when_it_is_back_under_its_name(tmp_path: Path) -> None:
    toggled = tmp_path / "cur" / "1.M1:2,S"  # flag set and cleared again while restic read the folder
    toggled.parent.mkdir()
    toggled.write_text("x")
    unreadable = tmp_path / "cur" / "2.M2:2,S"
    unreadable.write_text("y")
    gone = tmp_path / "cur" / "3.M3:2,S"
    errors = [_error(toggled, 2), _error(unreadable, 13), _error(gone, 13)]
    view = View()
    assert [e.item for e in _still_there(errors, view)] == [str(unreadable)]  # type: ignore[attr-defined,arg-type]
