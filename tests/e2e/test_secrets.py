"""Secrets never appear in any child's argv, in logs, in --json output, in state files or in error text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.secret_watch import Watch
from tests.e2e.workspace import Workspace


def test_the_harness_sees_restic_children_and_would_catch_a_leak(ws: Workspace, no_secret_leaks: Watch) -> None:
    """The harness itself: it records real restic argv, knows the workspace's secrets, and flags a leak."""
    assert ws.identity is not None
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    argvs = no_secret_leaks.argvs()
    assert any("backup" in argv for argv in argvs) and any("init" in argv for argv in argvs)
    assert {ws.password, ws.identity.access_key, ws.identity.secret_key} <= no_secret_leaks.secrets
    canary = Watch(no_secret_leaks.argv_log, secrets={"canary-secret-value"}, outputs=["x canary-secret-value y"])
    assert canary.leaks({"restic -r canary-secret-value"}) == [
        "can... in a process's /proc/PID/cmdline",
        "can... in mailvault's stdout or stderr",
    ]


def test_every_command_and_its_failures_under_the_harness(ws: Workspace, no_secret_leaks: Watch) -> None:
    """Successes and failures (whose evidence carries command lines and stderr tails) of every
    repository command; the autouse harness then checks argv, /proc, output and state files."""
    ws.generate()
    for args in (("init", "--json"), ("backup", "--json"), ("backup",), ("snapshots", "--json"),
                 ("check", "--json"), ("prune", "--json", "--dry-run"), ("config", "show", "--json"),
                 ("config", "show"), ("history", "--json"), ("-v", "snapshots")):  # fmt: skip
        ws.cli(*args)
    ws.write_secret("repository.key", "x" + ws.password)  # now refused: restic's error text is echoed
    for args in (("backup", "--json"), ("-v", "check")):
        proc = ws.cli(*args, check=False)
        assert proc.returncode == 1 and "password was refused" in proc.stdout + proc.stderr
    assert "x" + ws.password in no_secret_leaks.secrets
    assert len(no_secret_leaks.argvs()) >= 10
    assert not any("internal error" in text for text in no_secret_leaks.outputs), "no run crashed"


def test_repository_password_from_a_systemd_credential(local_ws: Workspace, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir(mode=0o700)
    (creds / "repository-key").write_text(local_ws.password + "\n")
    (creds / "repository-key").chmod(0o400)
    local_ws.generate()
    text = local_ws.config_path.read_text().replace(
        f'password_file = "{local_ws.secrets / "repository.key"}"', 'password_credential = "repository-key"'
    )
    local_ws.config_path.write_text(text)
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    local_ws.cli("init", env=env)
    result = json.loads(local_ws.cli("backup", "--json", env=env).stdout)
    assert result["manifest"]["messages"] == 80
    assert local_ws.password not in local_ws.cli("config", "show", env=env).stdout
    outside = local_ws.cli("snapshots", check=False)  # no CREDENTIALS_DIRECTORY: not run by systemd
    assert outside.returncode == 2
    assert "$CREDENTIALS_DIRECTORY is not set" in outside.stderr


def test_a_password_command_runs_once_per_command(local_ws: Workspace, tmp_path: Path) -> None:
    """A `pass` or vault lookup is asked once per mailvault command, however many restic children
    the command starts (borgmatic asks once per run)."""
    calls = tmp_path / "calls"
    key = local_ws.secrets / "repository.key"
    command = f"sh -c 'echo asked >> {calls}; cat {key}'"
    local_ws.generate()
    text = local_ws.config_path.read_text().replace(f'password_file = "{key}"', f'password_command = "{command}"')
    local_ws.config_path.write_text(text)
    asked = {}
    for args in (("init",), ("backup",), ("backup",), ("snapshots",), ("check",), ("prune",),
                 ("restore-test", "--runtime", "local"),
                 ("restore", "--mailbox", "bob@example.org", "--target", str(tmp_path / "out"))):  # fmt: skip
        calls.write_text("")
        proc = local_ws.cli(*args, check=False)
        assert proc.returncode in (0, 2), (args, proc.stderr)
        asked[" ".join(args[:1])] = calls.read_text().count("asked")
    assert set(asked.values()) == {1}, str(asked)
