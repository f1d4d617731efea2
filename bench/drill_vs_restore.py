"""Benchmark: `mailvault restore-test` (the whole drill) against plain `restic restore` of the same
snapshot to a local directory, in one run, on a generated store (SeaweedFS S3 on loopback, Docker).

Usage: .venv/bin/python bench/drill_vs_restore.py [--messages 50000] [--workdir DIR] [--no-verify]
Prints both times, the drill's phases and the ratio; target: drill total <= 1.3x plain restore.
Needs a running Docker engine (the demo or the tests start one: dockerd --bridge=none --iptables=false).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mailvault.demo import mailstore
from mailvault.demo.seaweed import SeaweedS3


def settle() -> None:
    """Flush dirty pages and drop the page cache, so one run's writeback does not slow the next."""
    subprocess.run(["sync"], check=True)
    with contextlib.suppress(OSError):
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 2):
        sys.exit(f"{argv[:5]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mailvault-bench-drill"))
    parser.add_argument("--no-verify", action="store_true", help="drill without restic's read-back verification")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "mailvault")], check=True)
    work: Path = args.workdir
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    per_folder, folders = 100, mailstore.FOLDERS
    spec = mailstore.StoreSpec(
        domains=tuple(f"d{i}.example" for i in range(5)),
        users=tuple(f"user{i}" for i in range(max(1, args.messages // (per_folder * len(folders) * 5)))),
        messages_per_folder=per_folder,
        body_bytes=1500,
        attachment_every=10,
        attachment_bytes=15000,
    )
    gen = mailstore.generate(work / "vmail", spec)
    config_dirs, key_dirs = mailstore.make_server_config(work)
    print(f"store: {gen.messages} messages in {len(gen.mailboxes)} mailboxes")
    with SeaweedS3(work / "s3") as s3:
        secrets = work / "secrets"
        secrets.mkdir(mode=0o700)
        for name, value in (("pw", "bench-password"), ("id", s3.admin.access_key), ("key", s3.admin.secret_key)):
            (secrets / name).write_text(value + "\n")
            (secrets / name).chmod(0o600)
        url = f"s3:{s3.endpoint}/bench/drill"
        config = work / "mailvault.toml"
        config.write_text(
            f'[repository]\nurl = "{url}"\npassword_file = "{secrets / "pw"}"\n'
            f'[repository.s3]\naccess_key_id_file = "{secrets / "id"}"\nsecret_access_key_file = "{secrets / "key"}"\n'
            f'[sources]\nmaildirs = ["{work / "vmail"}"]\nconfig = {json.dumps([str(p) for p in config_dirs])}\n'
            f'keys = {json.dumps([str(p) for p in key_dirs])}\n[state]\ndir = "{work / "state"}"\n'
            f"[drill]\nverify_restore = {'false' if args.no_verify else 'true'}\n"
        )
        config.chmod(0o600)
        env = {
            **os.environ,
            "RESTIC_PASSWORD_FILE": str(secrets / "pw"),
            "AWS_ACCESS_KEY_ID": s3.admin.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.admin.secret_key,
        }
        mv = [sys.executable, "-m", "mailvault", "--config", str(config)]
        run([*mv, "init"], env)
        run([*mv, "backup"], env)
        run([*mv, "drill", "build-image"], env)
        target = work / "plain-restore"
        settle()
        t_plain, _ = run(["restic", "-r", url, "--no-cache", "restore", "latest", "--target", str(target)], env)
        subprocess.run(["rm", "-rf", str(target)], check=True)
        settle()
        t_drill, out = run([*mv, "restore-test", "--json"], env)
        report = json.loads(out)
    print(f"plain restic restore  {t_plain:7.2f} s")
    print(f"mailvault restore-test {t_drill:7.2f} s  (verdict {report['verdict']}, RTO {report['rto_s']} s)")
    for phase, seconds in report["phases"].items():
        print(f"    {phase:10s} {seconds:7.2f} s")
    phases = sum(report["phases"].values())
    print(f"    (drill total inside mailvault {report['total_s']:.2f} s; phases sum {phases:.2f} s)")
    print(f"ratio {t_drill / t_plain:.3f} (target <= 1.3){' without --verify' if args.no_verify else ''}")


if __name__ == "__main__":
    main()
