"""A command on a real pseudo-terminal (its controlling tty, as when a person runs it), answered
prompt by prompt: for the commands that ask on a terminal and never on a pipe."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import time
from collections.abc import Sequence


class Terminal:
    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its own session, the pty its controlling terminal
            os.execve(argv[0], list(argv), env)
        self.seen = ""

    def expect(self, text: str, timeout: float = 120) -> str:
        """Read until ``text`` appears; return everything read so far. AssertionError on timeout or end."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout} s; the terminal shows:\n{self.seen[-3000:]}")
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the child ended: the pty is closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"the command ended before {text!r}; the terminal shows:\n{self.seen[-3000:]}")
            self.seen += chunk.decode("utf-8", "replace")
        return self.seen

    def answer(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        self.seen = self.seen[self.seen.index(prompt) + len(prompt) :]
        os.write(self.fd, line.encode() + b"\r")

    def wait(self, timeout: float = 600) -> int:
        """Drain the output until the command ends; return its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                with contextlib.suppress(OSError):
                    self.seen += os.read(self.fd, 65536).decode("utf-8", "replace")
            if done:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"still running after {timeout} s:\n{self.seen[-3000:]}")
