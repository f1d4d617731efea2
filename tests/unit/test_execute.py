import sys
from pathlib import Path

import pytest

from mailvault import execute
from mailvault.errors import CommandFailed, ToolError


def test_mask_hides_registered_secrets() -> None:
    execute.register_secret("s3cr3t-value-xyz")
    assert execute.mask("key=s3cr3t-value-xyz!") == "key=***!"
    assert "s3cr3t" not in execute.render_argv(("tool", "--x", "s3cr3t-value-xyz"))


def test_failure_carries_masked_evidence() -> None:
    execute.register_secret("very-secret-pw")
    with pytest.raises(CommandFailed) as info:
        execute.run(("/bin/sh", "-c", "echo oops very-secret-pw >&2; exit 4"), what="the probe", hint="do X")
    err = info.value
    assert err.returncode == 4
    assert err.one_line() == "the probe failed (exit 4) (do X)"
    assert err.stderr_tail == ["oops ***"]
    assert all("very-secret-pw" not in d for d in err.details)


def test_missing_program_and_timeout() -> None:
    with pytest.raises(ToolError, match="was not found"):
        execute.run(("/nonexistent/restic", "version"))
    with pytest.raises(ToolError, match="did not finish within 1 s"):
        execute.run(("sleep", "5"), timeout=1)


def test_stream_delivers_lines_and_exit_code() -> None:
    out: list[str] = []
    err: list[str] = []
    code = execute.stream(
        ("/bin/sh", "-c", "echo a; echo b >&2; echo c; exit 3"), on_stdout=out.append, on_stderr=err.append
    )
    assert (code, out, err) == (3, ["a", "c"], ["b"])


def test_a_zombie_is_not_alive() -> None:
    """A killed process not yet reaped by its parent holds no lock: pid_alive says dead."""
    import subprocess
    import time

    from mailvault.execute import pid_alive

    child = subprocess.Popen(["sleep", "30"])
    assert pid_alive(child.pid)
    child.kill()
    time.sleep(0.3)  # dead, but not reaped: a zombie
    assert not pid_alive(child.pid)
    child.wait()


def test_a_memory_file_is_readable_by_a_child_by_path_and_gone_after() -> None:
    with execute.memory_file("mv-test", 'imapc_password = "s3cret-in-memory"\n') as path:
        assert str(path).startswith("/proc/") and "s3cret" not in str(path)
        done = execute.run(("cat", str(path)))
        assert done.stdout == 'imapc_password = "s3cret-in-memory"\n'
    assert not path.exists()


def test_stream_through_a_spool_file_hands_over_every_line_and_removes_it(tmp_path: Path) -> None:
    spool = tmp_path / "out"
    script = "import sys, time\nfor i in range(20000): print(f'line {i}')\ntime.sleep(0.2)\nprint('last', end='')\n"
    seen: list[str] = []
    errors: list[str] = []
    modes: list[int] = []

    def take(line: str) -> None:
        if not modes and spool.exists():
            modes.append(spool.stat().st_mode & 0o777)
        seen.append(line)

    code = execute.stream((sys.executable, "-c", script + "sys.stderr.write('oops\\n')"), on_stdout=take,
                          on_stderr=errors.append, spool=spool)  # fmt: skip
    assert code == 0 and errors == ["oops"]
    assert seen == [f"line {i}" for i in range(20000)] + ["last"]
    assert modes == [0o600] and not spool.exists()


def test_a_streamed_child_followed_in_another_thread_is_stopped_when_cancelled(tmp_path: Path) -> None:
    """A backup's first restic pass runs in a thread: Ctrl-C in the main thread must stop it."""
    import threading
    import time

    cancel, outcome, lines = threading.Event(), [], []  # type: ignore[var-annotated]
    marker = tmp_path / "still-running"
    script = f"import time\nprint('started', flush=True)\ntime.sleep(30)\nopen({str(marker)!r}, 'w')\n"

    def follow() -> None:
        try:
            execute.stream((sys.executable, "-c", script), on_stdout=lines.append, on_stderr=print,
                           spool=tmp_path / "out", cancel=cancel)  # fmt: skip
        except execute.Cancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=follow)
    thread.start()
    while lines != ["started"]:
        time.sleep(0.02)
    began = time.monotonic()
    cancel.set()
    thread.join(timeout=15)
    assert not thread.is_alive() and time.monotonic() - began < 5
    assert len(outcome) == 1 and not (tmp_path / "out").exists() and not marker.exists()
    with pytest.raises(ValueError):
        execute.stream(("true",), on_stdout=print, on_stderr=print, cancel=cancel)
