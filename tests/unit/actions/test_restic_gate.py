"""The gate restic's backup waits at: a real FIFO read by a real process, as restic reads its exclude file."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from mailvault.actions.restic_gate import ABORT_TEXT, OPEN_TEXT, Gate


def _reader(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)


def test_the_reader_waits_until_the_gate_opens_and_then_reads_a_comment(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate.fifo")
    reader = _reader(gate.path)
    time.sleep(0.3)
    assert reader.poll() is None  # still waiting at the gate
    gate.open()
    out, _ = reader.communicate(timeout=10)
    gate.close()
    assert out == OPEN_TEXT and out.startswith(b"#")
    assert 0.2 < gate.waited < 10
    assert not gate.path.exists()


def test_an_aborted_gate_gives_a_pattern_restic_refuses(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate.fifo")
    reader = _reader(gate.path)
    gate.abort()
    out, _ = reader.communicate(timeout=10)
    gate.close()
    assert out == ABORT_TEXT == b"[\n"


def test_a_gate_opened_before_the_reader_arrives_still_reaches_it(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate.fifo")
    gate.open()  # the scan's files were written before restic had opened the repository
    time.sleep(0.2)
    out, _ = _reader(gate.path).communicate(timeout=10)
    gate.close()
    assert out == OPEN_TEXT and gate.waited == 0.0


def test_closing_a_gate_no_reader_ever_opened_returns_and_removes_it(tmp_path: Path) -> None:
    """restic failed before it read its exclude file (a locked repository, a wrong password)."""
    gate = Gate(tmp_path / "gate.fifo")
    began = time.monotonic()
    gate.close()
    assert time.monotonic() - began < 5 and not gate.path.exists()


def test_a_gate_never_opened_is_never_read_as_an_empty_exclude_file(tmp_path: Path) -> None:
    gate = Gate(tmp_path / "gate.fifo")
    reader = _reader(gate.path)
    deadline = time.monotonic() + 10
    while gate.reached is None and time.monotonic() < deadline:  # the reader has the FIFO open
        time.sleep(0.01)
    gate.close()  # (a caller that failed without aborting)
    out, _ = reader.communicate(timeout=10)
    assert out == ABORT_TEXT


def test_a_fifo_left_by_a_killed_run_is_replaced_and_said(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    left = tmp_path / "gate.fifo"
    left.write_text("not a fifo")
    gate = Gate(left)
    assert left.is_fifo() and "left by a backup that was killed" in caplog.text
    gate.close()
