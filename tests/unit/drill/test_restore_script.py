"""The drill's restore script, run by sh with a stand-in restic that records its arguments."""

import os
import subprocess
from pathlib import Path

from mailvault.drill.restore_script import restore_script
from mailvault.mail.restore_split import Share

STUB = """#!/bin/sh
echo "$AWS_ACCESS_KEY_ID $*" >> "$CALLS"
case "$*" in *fail*) exit 1;; esac
"""


def run(tmp_path: Path, shares: list[Share]) -> tuple[int, list[str]]:
    bin_dir, secrets = tmp_path / "bin", tmp_path / "secrets"
    bin_dir.mkdir()
    secrets.mkdir()
    (bin_dir / "restic").write_text(STUB)
    (bin_dir / "restic").chmod(0o755)
    (secrets / "s3-id").write_text("AKID\n")
    (secrets / "s3-secret").write_text("SECRET\n")
    script = tmp_path / "restore.sh"
    script.write_text(restore_script(shares, verify=True))
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "MV_SECRETS": str(secrets),
        "MV_REPOSITORY": "s3:http://127.0.0.1:1/b",
        "MV_SNAPSHOT": "abc",
        "MV_TARGET": "/restore",
    }
    code = subprocess.run(["sh", str(script)], env=env, check=False).returncode
    return code, sorted((tmp_path / "calls").read_text().splitlines())


def test_one_process_per_share_each_with_its_patterns_and_the_keys_from_the_secret_files(tmp_path: Path) -> None:
    shares = [Share(paths=("/v/a b",)), Share(paths=("/v/c",)), Share(excluded=("/v/a b", "/v/c"))]
    code, calls = run(tmp_path, shares)
    assert code == 0
    base = "AKID -r s3:http://127.0.0.1:1/b --no-cache --no-lock restore abc --target /restore"
    assert calls == [
        f"{base} --exclude /v/a b --exclude /v/c --verify",
        f"{base} --include /v/a b --verify",
        f"{base} --include /v/c --verify",
    ]


def test_one_failing_share_fails_the_restore_after_the_others_finish(tmp_path: Path) -> None:
    code, calls = run(tmp_path, [Share(paths=("/v/fail",)), Share(excluded=("/v/fail",))])
    assert code == 1 and len(calls) == 2


def test_a_single_share_is_one_restic_of_the_whole_snapshot(tmp_path: Path) -> None:
    code, calls = run(tmp_path, [Share()])
    assert code == 0
    assert calls == ["AKID -r s3:http://127.0.0.1:1/b --no-cache --no-lock restore abc --target /restore --verify"]
