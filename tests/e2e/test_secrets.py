"""Secrets never appear in any child's argv, in logs, in --json output, in state files or in error text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.secret_watch import ArgvRecorder, ProcScanner, files_containing
from tests.e2e.workspace import Workspace


def test_no_secret_in_argv_logs_json_or_state(ws: Workspace, tmp_path: Path) -> None:
    assert ws.identity is not None
    secrets = [ws.password, ws.identity.access_key, ws.identity.secret_key]
    recorder = ArgvRecorder(tmp_path)
    ws.extra_toml = f'[restic]\nbinary = "{recorder.wrapper}"\n'
    ws.generate()
    outputs: list[str] = []
    with ProcScanner() as scanner:
        for args in (("init", "--json"), ("backup", "--json"), ("backup",), ("snapshots", "--json"),
                     ("check", "--json"), ("prune", "--json", "--dry-run"), ("config", "show", "--json"),
                     ("config", "show"), ("history", "--json"), ("-v", "snapshots")):  # fmt: skip
            proc = ws.cli(*args)
            outputs += [proc.stdout, proc.stderr]
        # failures carry evidence (command lines, stderr tails): they must be masked too
        ws.write_secret("repository.key", "x" + ws.password)
        secrets.append("x" + ws.password)
        for args in (("backup", "--json"), ("-v", "check")):
            proc = ws.cli(*args, check=False)
            assert proc.returncode == 1
            outputs += [proc.stdout, proc.stderr]
    argvs = recorder.argvs()
    assert any("backup" in argv for argv in argvs), "the recorder saw the real backup"
    assert any(argv[:1] == [str(recorder.wrapper)] and "snapshots" in argv for argv in argvs)
    for secret in secrets:
        assert not any(secret in " ".join(argv) for argv in argvs), "a secret reached restic's argv"
        assert not any(secret in cmdline for cmdline in scanner.seen), "a secret was visible in /proc/*/cmdline"
        assert not any(secret in text for text in outputs), "a secret reached stdout/stderr"
    assert len(scanner.seen) > 5
    assert files_containing(ws.state, secrets) == []
    assert not any("internal error" in text for text in outputs), "no run crashed"


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
