"""Benchmark: `mailvault restore-test` (the whole drill) against plain `restic restore` of the same
snapshot to a local directory, in one run, on a generated store (SeaweedFS S3 on loopback, Docker).

Usage: .venv/bin/python bench/drill_vs_restore.py [--messages 50000] [--workdir DIR]
Prints plain restore's time (measured before and after the drills; the ratios use their mean), then
the drill's: as configured by default (repository.restore_processes = 4, restic's read-back
`restore --verify` on), with one restic process, and without the read-back; each with its phases and
its ratio to the plain restore. Target: drill total <= 1.3x plain restore.
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
    cov = report.get("coverage") or {}
    if cov:
        print(f"    coverage share {cov['share']} of {cov['every']}: {cov['messages_proven']} messages proven so far")
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
        variants = {
            "default (4 restic processes, restore --verify)": config,
            "one restic process (repository.restore_processes = 1), restore --verify": variant(
                work, config, "single", "verify_restore = true", repository="restore_processes = 1"
            ),
            "4 restic processes, no read-back (drill.verify_restore = false)": variant(
                work, config, "no-verify", "verify_restore = false"
            ),
        }
        mv = [sys.executable, "-m", "mailvault", "--config", str(config)]
        run([*mv, "init"], env)
        run([*mv, "backup"], env)
        run([*mv, "drill", "build-image"], env)
        target = work / "plain-restore"
        plain_argv = ["restic", "-r", url, "--no-cache", "restore", "latest", "--target", str(target)]
        settle()
        t_plain, _ = run(plain_argv, env)
        subprocess.run(["rm", "-rf", str(target)], check=True)
        results = {label: drill(mv, path, env) for label, path in variants.items()}
        settle()
        t_plain_after, _ = run(plain_argv, env)
        subprocess.run(["rm", "-rf", str(target)], check=True)
    plain = (t_plain + t_plain_after) / 2
    print(f"plain restic restore   {t_plain:7.2f} s before the drills, {t_plain_after:7.2f} s after", end="")
    print(f" (mean {plain:.2f} s)")
    for label, (took, report) in results.items():
        show(label, took, plain, report)


def variant(work: Path, config: Path, name: str, drill_keys: str, repository: str = "") -> Path:
    path = work / f"mailvault-{name}.toml"
    text = config.read_text().replace("verify_restore = true", drill_keys)
    path.write_text(text.replace("[repository]\n", f"[repository]\n{repository}\n", 1) if repository else text)
    path.chmod(0o600)
    return path


if __name__ == "__main__":
    main()
