"""Benchmark: `mailvault restore-test` (the whole drill) against plain `restic restore` of the same
snapshot to a local directory, in one run, on a generated store (SeaweedFS S3 on loopback, Docker).

Usage: .venv/bin/python bench/drill_vs_restore.py [--messages 50000] [--workdir DIR]
Prints plain restore's time, then the drill's with and without restic's read-back verification
(`restore --verify` reads every restored file again), each with its phases and its ratio to the plain
restore; target: drill total <= 1.3x plain restore.
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
        sys.exit(f"{argv[:5]} failed ({proc.returncode}): {proc.stderr[-2000:]}\n{proc.stdout[-3000:]}")
    return took, proc.stdout


def drill(mv: list[str], config: Path, env: dict[str, str]) -> tuple[float, dict]:  # type: ignore[type-arg]
    settle()
    took, out = run([*mv[:-1], str(config), "restore-test", "--json"], env)
    return took, json.loads(out)


def show(label: str, took: float, plain: float, report: dict) -> None:  # type: ignore[type-arg]
    print(f"mailvault restore-test, {label}: {took:7.2f} s  (verdict {report['verdict']}, RTO {report['rto_s']} s)")
    for phase, seconds in report["phases"].items():
        print(f"    {phase:10s} {seconds:7.2f} s")
    print(f"    (inside mailvault {report['total_s']:.2f} s; phases sum {sum(report['phases'].values()):.2f} s)")
    print(f"    ratio {took / plain:.3f} against plain restic restore (target <= 1.3)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mailvault-bench-drill"))
    args = parser.parse_args()
    work: Path = args.workdir
    _gen, config_dirs, key_dirs = prepare(work, args.messages)
    with SeaweedS3(work / "s3") as s3:
        url = f"s3:{s3.endpoint}/bench/drill"
        config, env = configure(work, s3, url, config_dirs, key_dirs, extra="[drill]\nverify_restore = true\n")
        unverified = work / "mailvault-no-verify.toml"
        unverified.write_text(config.read_text().replace("verify_restore = true", "verify_restore = false"))
        unverified.chmod(0o600)
        mv = [sys.executable, "-m", "mailvault", "--config", str(config)]
        run([*mv, "init"], env)
        run([*mv, "backup"], env)
        run([*mv, "drill", "build-image"], env)
        target = work / "plain-restore"
        settle()
        t_plain, _ = run(["restic", "-r", url, "--no-cache", "restore", "latest", "--target", str(target)], env)
        subprocess.run(["rm", "-rf", str(target)], check=True)
        t_verified, verified = drill(mv, config, env)
        t_unverified, unverified_report = drill(mv, unverified, env)
    print(f"plain restic restore   {t_plain:7.2f} s")
    show("with restic's read-back (restore --verify, the default)", t_verified, t_plain, verified)
    show("without it (drill.verify_restore = false)", t_unverified, t_plain, unverified_report)


if __name__ == "__main__":
    main()
