"""The quick exit keeps what a command printed and its exit code."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys
from mailvault.runtime import quick_exit
print("line on stdout", end="")
sys.stderr.write("line on stderr")
with open(sys.argv[1], "w") as fh:
    fh.write("written")
quick_exit(int(sys.argv[2]))
"""


def test_quick_exit_flushes_both_streams_and_keeps_the_code(tmp_path: object) -> None:
    target = f"{tmp_path}/out.txt"
    for code in (0, 3):
        proc = subprocess.run([sys.executable, "-c", PROGRAM, target, str(code)], capture_output=True, text=True)
        assert (proc.returncode, proc.stdout, proc.stderr) == (code, "line on stdout", "line on stderr")
    with open(target) as fh:
        assert fh.read() == "written"


def test_quick_exit_tolerates_a_closed_stdout() -> None:
    program = "import sys, os\nfrom mailvault.runtime import quick_exit\nsys.stdout.close()\nquick_exit(4)"
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr
