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
import subprocess
import sys
import time
from pathlib import Path

from common import configure, prepare

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
    work: Path = args.workdir
    _gen, config_dirs, key_dirs = prepare(work, args.messages)
    with SeaweedS3(work / "s3") as s3:
        url = f"s3:{s3.endpoint}/bench/drill"
        verify = "false" if args.no_verify else "true"
        config, env = configure(work, s3, url, config_dirs, key_dirs, extra=f"[drill]\nverify_restore = {verify}\n")
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
