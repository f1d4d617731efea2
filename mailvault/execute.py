"""The one door to the operating system: every child process starts here.

Commands are argv tuples (never shell strings). Secrets reach children through
their environment or files only; every value registered with
:func:`register_secret` is masked in anything this module echoes or raises.
Children get ``PR_SET_PDEATHSIG`` so that a killed mailvault never leaves a
restic behind holding a live repository lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mailvault.errors import CommandFailed, ToolError

logger = logging.getLogger(__name__)

_SECRETS: set[str] = set()
_MASK = "***"
STDERR_TAIL_LINES = 25
_PR_SET_PDEATHSIG = 1


def register_secret(value: str) -> None:
    """Remember ``value`` so that it is masked in every echoed command, log line and error."""
    value = value.strip()
    if len(value) >= 4:
        _SECRETS.add(value)


def mask(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***``.

    >>> register_secret("hunter2-secret"); mask("pw=hunter2-secret")
    'pw=***'
    """
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def render_argv(argv: Iterable[str]) -> str:
    """The masked, shell-quoted form of ``argv`` for logs and error messages."""
    return mask(shlex.join(list(argv)))


@dataclass(frozen=True)
class Completed:
    """What a finished command produced."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _die_with_parent(sig: int = signal.SIGTERM) -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
    except OSError:
        pass


def _killed_with_parent() -> None:
    """A server child (SeaweedFS, dockerd, Dovecot) goes when mailvault or a test run is killed:
    SIGKILL, because SeaweedFS ignores SIGTERM for minutes."""
    _die_with_parent(signal.SIGKILL)


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ)
    if env:
        merged.update(env)
    return merged


def _tail(text: str) -> list[str]:
    lines = [mask(line) for line in text.splitlines() if line.strip()]
    return lines[-STDERR_TAIL_LINES:]


def _failure(what: str, argv: tuple[str, ...], returncode: int, stderr: str, hint: str | None) -> CommandFailed:
    return CommandFailed(
        f"{what} failed (exit {returncode})",
        command=render_argv(argv),
        returncode=returncode,
        stderr_tail=_tail(stderr),
        hint=hint,
    )


def _not_found(argv: tuple[str, ...]) -> ToolError:
    return ToolError(
        f"{argv[0]} was not found",
        hint="install it (scripts/setup does) or set its path in the config",
    )


def run(
    argv: tuple[str, ...],
    *,
    env: Mapping[str, str] | None = None,
    what: str | None = None,
    check: bool = True,
    timeout: float | None = None,
    stdin: str | None = None,
    hint: str | None = None,
    killed_with_parent: bool = False,
) -> Completed:
    """Run ``argv`` to completion and capture its output.

    Raise :class:`CommandFailed` (masked argv, exit code, stderr tail, ``hint``)
    when it exits non-zero and ``check`` is true; :class:`ToolError` when the
    program does not exist or exceeds ``timeout`` seconds. ``killed_with_parent``: SIGKILL instead
    of SIGTERM when mailvault dies, for a child that blocks SIGTERM (unshare while it waits).
    """
    logger.debug("running %s", render_argv(argv))
    try:
        proc = subprocess.run(
            argv,
            env=_child_env(env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_killed_with_parent if killed_with_parent else _die_with_parent,
            check=False,
        )
    except FileNotFoundError as exc:
        raise _not_found(argv) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{what or argv[0]} did not finish within {timeout:.0f} s", hint=hint) from exc
    done = Completed(argv, proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise _failure(what or argv[0], argv, proc.returncode, proc.stderr, hint)
    return done


def stream(
    argv: tuple[str, ...],
    *,
    on_stdout: Callable[[str], None],
    on_stderr: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    spool: Path | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Run ``argv``, handing each stdout and stderr line to the callbacks as it arrives.

    With ``spool``, stdout goes to that file (created 0600, removed at the end) and is read back in
    large chunks as it grows: a child that prints a line per file (``restic backup -vv``) then writes
    to the page cache instead of waking this process for every line (0.8 s of 4 s at 50,000 files).
    With ``cancel`` (a spool only), a child followed in another thread is stopped (SIGTERM) when the
    event is set, and :class:`Cancelled` is raised. Returns the exit code; the caller decides what a
    non-zero code means.
    """
    if cancel is not None and spool is None:
        raise ValueError("stream: cancel needs a spool")
    logger.debug("streaming %s", render_argv(argv))
    out = os.fdopen(os.open(spool, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") if spool else None
    try:
        proc = subprocess.Popen(
            argv,
            env=_child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=out if out is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            preexec_fn=_die_with_parent,
        )
    except FileNotFoundError as exc:
        raise _not_found(argv) from exc
    finally:
        if out is not None:
            out.close()  # the child holds its own copy
    assert proc.stderr is not None
    err_thread = threading.Thread(target=_pump, args=(proc.stderr, on_stderr), daemon=True)
    err_thread.start()
    try:
        if spool is not None:
            _follow(spool, proc, on_stdout, cancel)
        else:
            assert proc.stdout is not None
            _pump(proc.stdout, on_stdout)
        returncode = proc.wait()
    except BaseException:
        _stop(proc)
        raise
    finally:
        if spool is not None:
            spool.unlink(missing_ok=True)
    err_thread.join()
    return returncode


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


FOLLOW_INTERVAL = 0.05  # seconds between looks at a spool file that has not grown


class Cancelled(Exception):
    """A streamed child was stopped because its caller set the cancel event."""


def _follow(
    path: Path, proc: subprocess.Popen[str], sink: Callable[[str], None], cancel: threading.Event | None = None
) -> None:
    """Hand every line written to ``path`` to ``sink`` until ``proc`` has ended and all is read;
    raise Cancelled when ``cancel`` is set first."""
    with path.open("rb") as fh:
        rest = b""
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("stopped on the caller's request")
            chunk = fh.read(1 << 20)
            if not chunk:
                if proc.poll() is None:
                    time.sleep(FOLLOW_INTERVAL)
                    continue
                chunk = fh.read()
                if not chunk:
                    break
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                sink(line.decode("utf-8", "replace"))
        if rest:
            sink(rest.decode("utf-8", "replace"))


Piped = subprocess.Popen[bytes]  # a child started by start_piped (the type, for callers that keep one)
TimeoutExpired = subprocess.TimeoutExpired  # what waiting on such a child too long raises


def start_piped(argv: tuple[str, ...], *, env: Mapping[str, str] | None = None) -> Piped:
    """Start ``argv`` with binary pipes on stdin, stdout and stderr, for a caller that talks to it
    (``communicate``). Like every child it gets SIGTERM when mailvault dies. Raise OSError when it
    cannot start."""
    logger.debug("starting %s", render_argv(argv))
    return subprocess.Popen(
        argv,
        env=_child_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )


def _pump(pipe: IO[str], sink: Callable[[str], None]) -> None:
    for line in pipe:
        sink(line.rstrip("\n"))


class Background:
    """A long-running child (a test or demo server). Stop it with :meth:`stop`."""

    def __init__(self, argv: tuple[str, ...], *, log_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.argv = argv
        self.log_path = log_path
        self._log = log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                argv,
                env=_child_env(env),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_killed_with_parent,
            )
        except FileNotFoundError as exc:
            self._log.close()
            raise _not_found(argv) from exc

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL the whole process group."""
        if self.alive():
            _signal_group(self._proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.alive():
                _signal_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._log.close()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to ask: it answered the signal, so count it alive
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


@contextlib.contextmanager
def memory_file(name: str, data: str) -> Iterator[Path]:
    """A file that exists only in this process's memory (memfd), for a secret a child must read from
    a path: ``/proc/PID/fd/N``, readable by this process and root's children. It never touches a
    disk and is gone when the block ends, or when mailvault dies, even by SIGKILL.

    Raise ToolError where the kernel has no memfd (not Linux).
    """
    fd = _memfd(name, data)
    try:
        yield Path(f"/proc/{os.getpid()}/fd/{fd}")
    finally:
        os.close(fd)


def _memfd(name: str, data: str) -> int:
    """A memfd holding ``data``; ToolError where the kernel has none."""
    try:
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
    except (AttributeError, OSError) as exc:
        raise ToolError("cannot hold a secret file in memory (memfd_create)", hint="run on Linux") from exc
    try:
        os.write(fd, data.encode())
    except BaseException:
        os.close(fd)
        raise
    return fd


_HELD: dict[str, Path] = {}


def held_memory_file(name: str, data: str) -> Path:
    """A :func:`memory_file` held until this process ends (the same one for the same ``name`` and
    ``data``): a secret resolved once per run and read by every child of the run from its path."""
    key = f"{name}\0{data}"
    if key not in _HELD:
        _HELD[key] = Path(f"/proc/{os.getpid()}/fd/{_memfd(name, data)}")
    return _HELD[key]


def detach(argv: tuple[str, ...]) -> int:
    """Start ``argv`` in a session of its own that outlives mailvault (housekeeping such as deleting
    a drill's files); its output is discarded. Return its pid."""
    logger.debug("starting in the background: %s", render_argv(argv))
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=_child_env(None),
        )
    except FileNotFoundError as exc:
        raise _not_found(argv) from exc
    return proc.pid


class Supervised:
    """A child whose output is handed line by line to ``on_line`` (stderr and stdout alike) and whose
    end its parent decides: a scheduled job. It has a process group of its own and gets SIGTERM when
    its parent dies."""

    def __init__(self, argv: tuple[str, ...], *, on_line: Callable[[str], None], env: Mapping[str, str] | None = None):
        logger.debug("starting %s", render_argv(argv))
        try:
            self._proc = subprocess.Popen(
                argv,
                env=_child_env(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except FileNotFoundError as exc:
            raise _not_found(argv) from exc
        assert self._proc.stdout is not None
        self._pump = threading.Thread(target=_pump, args=(self._proc.stdout, on_line), daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None when it is still running after ``timeout`` seconds."""
        try:
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._pump.join(timeout=5)
        return code

    def signal(self, sig: signal.Signals) -> None:
        _signal_group(self._proc.pid, sig)
