"""What the benchmarks share: the generated store, byte-compiling mailvault, and a mailvault config
(with the plain-restic environment) for an embedded SeaweedFS S3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mailvault.demo import mailstore
from mailvault.demo.seaweed import SeaweedS3


def prepare(work: Path, messages: int) -> tuple[mailstore.Generated, list[Path], list[Path]]:
    """Empty ``work``, byte-compile mailvault (as a wheel install ships it), generate the store:
    5 domains, 100 messages per folder, one attachment in ten."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "mailvault")], check=True)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    per_folder = 100
    users = max(1, messages // (per_folder * len(mailstore.FOLDERS) * 5))
    spec = mailstore.StoreSpec(
        domains=tuple(f"d{i}.example" for i in range(5)),
        users=tuple(f"user{i}" for i in range(users)),
        messages_per_folder=per_folder,
        body_bytes=1500,
        attachment_every=10,
        attachment_bytes=15000,
    )
    t0 = time.perf_counter()
    gen = mailstore.generate(work / "vmail", spec)
    config_dirs, key_dirs = mailstore.make_server_config(work)
    subprocess.run(["chown", "-R", "5000:5000", str(work / "vmail")], check=True)  # vmail, as on a real server
    took = time.perf_counter() - t0
    print(f"store: {gen.messages} messages in {len(gen.mailboxes)} mailboxes (generated in {took:.0f} s)")
    return gen, config_dirs, key_dirs


def configure(
    work: Path, s3: SeaweedS3, url: str, config_dirs: list[Path], key_dirs: list[Path], extra: str = ""
) -> tuple[Path, dict[str, str]]:
    """Secrets (0600), a mailvault config for ``url``, and the environment plain restic needs."""
    secrets = work / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    for name, value in (("pw", "bench-password"), ("id", s3.admin.access_key), ("key", s3.admin.secret_key)):
        (secrets / name).write_text(value + "\n")
        (secrets / name).chmod(0o600)
    config = work / "mailvault.toml"
    config.write_text(
        f'[repository]\nurl = "{url}"\npassword_file = "{secrets / "pw"}"\n'
        f'[repository.s3]\naccess_key_id_file = "{secrets / "id"}"\nsecret_access_key_file = "{secrets / "key"}"\n'
        f'[sources]\nmaildirs = ["{work / "vmail"}"]\nconfig = {json.dumps([str(p) for p in config_dirs])}\n'
        f'keys = {json.dumps([str(p) for p in key_dirs])}\n[state]\ndir = "{work / "state"}"\n' + extra
    )
    config.chmod(0o600)
    env = {
        **os.environ,
        "RESTIC_PASSWORD_FILE": str(secrets / "pw"),
        "AWS_ACCESS_KEY_ID": s3.admin.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.admin.secret_key,
    }
    return config, env
