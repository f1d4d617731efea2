"""`mailvault keys rotate` against the real repository, including a process killed mid-rotation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.workspace import Workspace

PASSPHRASE = "kit passphrase: four random words"


def killer(ws: Workspace, step: str, *, after: bool) -> Path:
    """A restic wrapper that SIGKILLs mailvault at ``step`` (before it runs, or right after), once."""
    mark = ws.root / f"killed-at-{step.replace(' ', '-')}"
    body = 'restic "$@"; kill -9 $PPID; exit 0' if after else "kill -9 $PPID; exit 1"
    wrapper = ws.root / "restic-killer"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"{step}"*) if [ ! -e "{mark}" ]; then touch "{mark}"; {body}; fi;; esac\n'
        'exec restic "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def opens_with(ws: Workspace, password_file: Path) -> bool:
    env = {**ws.restic_env(), "RESTIC_PASSWORD_FILE": str(password_file)}
    proc = subprocess.run(["restic", "-r", ws.url, "cat", "config", "--no-lock"], env=env, capture_output=True)
    return proc.returncode == 0


def keys_in(ws: Workspace) -> int:
    return len(json.loads(ws.restic("key", "list", "--json", "--no-lock")))


def watch_new_password(ws: Workspace) -> str:
    value = (ws.secrets / "repository.key").read_text().strip()
    if ws.watch is not None:
        ws.watch.secret(value)
    return value


def test_rotate_retires_the_old_password_and_the_old_kit(ws: Workspace) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    pf = str(ws.write_secret("kit-passphrase", PASSPHRASE))
    kit = ws.root / "kit.bin"
    ws.cli("kit", "export", "--out", str(kit), "--passphrase-file", pf)
    old = ws.password

    dry = ws.cli_json("keys", "rotate", "--dry-run")
    assert dry["dry_run"] and (ws.secrets / "repository.key").read_text().strip() == old

    result = ws.cli_json("keys", "rotate")
    new = watch_new_password(ws)
    assert new != old and result["keys_now"] == 1 and result["kit_export_needed"]
    assert keys_in(ws) == 1 and opens_with(ws, ws.secrets / "repository.key")
    assert not list(ws.secrets.glob("repository.key.*")), "no .new/.old left behind"
    assert (ws.secrets / "repository.key").stat().st_mode & 0o777 == 0o600

    stale = ws.cli("kit", "status", check=False)
    assert stale.returncode == 1 and "changed since the kit of" in stale.stdout
    refused = ws.cli("kit", "verify", str(kit), "--passphrase-file", pf, check=False)
    assert refused.returncode == 1
    assert f"the repository {ws.url} no longer accepts the password in {kit}" in refused.stderr
    ws.cli("backup")  # the nightly job carries on with the new password
    ws.cli("kit", "export", "--out", str(kit), "--passphrase-file", pf, "--force")
    assert ws.cli("kit", "status").returncode == 0
    assert ws.cli_json("kit", "verify", str(kit), "--passphrase-file", pf)["snapshots"] == 2


@pytest.mark.parametrize(("step", "after"), [("key add", True), ("key remove", False)])
def test_a_rotation_killed_midway_leaves_a_working_password_and_resumes(ws: Workspace, step: str, after: bool) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    pw = ws.secrets / "repository.key"
    ws.write_config(extra=f'[restic]\nbinary = "{killer(ws, step, after=after)}"\n')

    killed = ws.cli("keys", "rotate", check=False)
    assert killed.returncode == -9, killed.stderr
    assert opens_with(ws, pw), "the password file still opens the repository"
    assert keys_in(ws) == 2, "the new key was added, the old one not yet removed"
    leftovers = sorted(p.name for p in ws.secrets.glob("repository.key.*"))
    assert leftovers == (["repository.key.new"] if step == "key add" else ["repository.key.old"])
    watch_new_password(ws)
    for left in leftovers:
        if ws.watch is not None:
            ws.watch.secret((ws.secrets / left).read_text().strip())

    resumed = ws.cli_json("keys", "rotate")
    assert resumed["resumed"] is True and resumed["keys_now"] == 1
    watch_new_password(ws)
    assert keys_in(ws) == 1 and opens_with(ws, pw)
    assert not list(ws.secrets.glob("repository.key.*"))
    ws.cli("backup")
    ws.cli("check")


def test_rotate_refuses_a_password_it_cannot_switch(local_ws: Workspace) -> None:
    local_ws.generate()
    local_ws.cli("init")
    text = local_ws.config_path.read_text().replace(
        f'password_file = "{local_ws.secrets / "repository.key"}"',
        f'password_command = "cat {local_ws.secrets / "repository.key"}"',
    )
    local_ws.config_path.write_text(text)
    proc = local_ws.cli("keys", "rotate", check=False)
    assert proc.returncode == 2 and "keys rotate switches a password file" in proc.stderr
