"""Running the real CLI on a pseudo-terminal, answering its prompts as an operator would."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time


def _own_terminal() -> None:  # in the child: a new session whose controlling terminal is the pty
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_pty(
    argv: list[str], answers: dict[str, str], *, env: dict[str, str], timeout: float = 300
) -> tuple[int, str]:
    """Run ``argv`` with a terminal; whenever its output ends with a key of ``answers``, type the value.

    Return (exit code, everything it wrote to the terminal).
    """
    master, slave = os.openpty()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=_own_terminal, close_fds=True
    )
    os.close(slave)
    output = b""
    answered = dict.fromkeys(answers, 0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            tail = output.decode(errors="replace").rstrip()
            for prompt, answer in answers.items():
                if tail.endswith(prompt.rstrip()) and output.count(prompt.rstrip().encode()) > answered[prompt]:
                    os.write(master, (answer + "\n").encode())
                    answered[prompt] += 1
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
    code = proc.wait()
    os.close(master)
    return code, output.decode(errors="replace")
