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
    with execute.memory_file("mv-test", "imapc_password = \"s3cret-in-memory\"\n") as path:
        assert str(path).startswith("/proc/") and "s3cret" not in str(path)
        done = execute.run(("cat", str(path)))
        assert done.stdout == "imapc_password = \"s3cret-in-memory\"\n"
    assert not path.exists()
