"""The runbooks' commands, run as written, in order, against a real repository."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from tests.e2e.pty_run import run_on_pty
from tests.e2e.workspace import Workspace

RUNBOOKS = Path(__file__).parents[2] / "runbooks"
PASSPHRASE = "runbook kit passphrase, four words"


def commands(runbook: Path) -> list[str]:
    """Every indented `mailvault ...` line of a runbook, in order."""
    return [line.strip() for line in runbook.read_text().splitlines() if line.startswith("    mailvault ")]


def test_recovery_kit_runbook(ws: Workspace) -> None:
    steps = commands(RUNBOOKS / "recovery-kit.md")
    assert len(steps) == 10, steps  # a step dropped from the runbook must be noticed
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    if ws.watch is not None:
        ws.watch.secret(PASSPHRASE)
    kit_dir = ws.root / "kit-dir"
    kit_dir.mkdir()
    host_env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    bare_env = {**os.environ, "MAILVAULT_CONFIG": str(ws.root / "no-config-on-this-machine.toml")}
    answers = {"Kit passphrase:": PASSPHRASE, "The same passphrase again:": PASSPHRASE}
    expect = {
        "kit export": "recovery kit written",
        "kit show": "password",
        "kit verify": "kit verified",
        "kit status": "OK: ",
        "keys rotate": "keys rotate: done",
        "snapshots": "snapshots",
        "check": "check passed",
    }
    for step in steps:
        bare = "--kit" in step
        if bare:  # the mail host is gone: no config, no password file, no S3 key files
            for name in ("repository.key", "s3-id", "s3-secret"):
                if (ws.secrets / name).exists():
                    (ws.secrets / name).rename(ws.secrets / f"{name}.gone")
        args = shlex.split(step.replace("/root/mailvault-kit/", f"{kit_dir}/"))[1:]
        code, output = run_on_pty(
            [sys.executable, "-m", "mailvault", *args], answers, env=bare_env if bare else host_env
        )
        if ws.watch is not None:
            ws.watch.outputs.append(output)
            if step == "mailvault keys rotate":
                ws.watch.secret((ws.secrets / "repository.key").read_text().strip())
        assert code == 0, f"{step}: exit {code}\n{output}"
        assert "Traceback" not in output
        key = next(k for k in expect if k in step)
        assert expect[key] in output, f"{step}: {output}"
    assert (kit_dir / "kit.txt").read_text().startswith("-----BEGIN MAILVAULT RECOVERY KIT-----")
