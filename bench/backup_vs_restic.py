"""Benchmark: `mailvault backup` against plain `restic backup` of the same paths to the same kind of
repository (SeaweedFS S3 on loopback), first run and incremental run (1 % new mail), in one run;
and the manifest scan against `find -type f -printf '%s\\n'` on the same tree.

Plain restic runs twice per round, each to its own repository: as a newcomer would run it (no
excludes), and with the exclude patterns mailvault passes (Dovecot's index and cache files and
tmp/), which is the same backup mailvault makes. The three runs of a round take turns going first.

With ``--live RATE`` the store changes at RATE changes a second (deliveries through tmp/ into new/,
reads, flag changes, expunges: mailvault.demo.churn) during every incremental round, for all three.

For mailvault the parts are printed from its own debug log: start-up (process start to the scan),
scan (with the preflight beside it), restic, reconciliation (compare, catch-up passes, record) and
the rest (run record, kit check, exit). "own" is everything outside the first restic pass. restic
starts before the new messages are hashed, and waits at its gate until the manifest is written: the
hashing beside restic's opening is printed, and the time restic waited there counts as mailvault's.

Usage: .venv/bin/python bench/backup_vs_restic.py [--messages 50000] [--rounds 3] [--live RATE] [--workdir DIR]
Targets (issue 15): own time <= 10 % of restic's for an incremental backup at 200,000 messages, and
growing no faster than restic's from 50,000; first backup <= 1.10x restic with the same excludes;
scan <= 2x find.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import configure, prepare

from mailvault.actions.backup import excludes
from mailvault.config.load import load_config
from mailvault.demo import churn, mailstore
from mailvault.demo.seaweed import SeaweedS3
from mailvault.mail.manifest import scan

PARTS = {
    "scan": re.compile(r"preflight, sweep and scan took ([\d.]+) s"),
    "restic": re.compile(r"restic backup took ([\d.]+) s"),
    "reconcile": re.compile(r"reconciliation took ([\d.]+) s"),
    "catch-up": re.compile(r"catch-up ([\d.]+) s"),
    "waited": re.compile(r"restic waited ([\d.]+) s at its gate"),
    "hashing": re.compile(r"message hashes: .*\(([\d.]+) s\)"),
}


def timed(argv: list[str], env: dict[str, str], show: str = "", parts: dict[str, float] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    # plain restic exits 3 when a file vanished under it (live traffic): its snapshot is saved
    if proc.returncode != 0 and not (proc.returncode == 3 and argv[0] == "restic"):
        sys.exit(f"{argv[:4]} failed: {proc.stderr[-2000:]}")
    for line in proc.stderr.splitlines():
        if show and re.search(show, line):
            print("   ", line)
        for name, pattern in PARTS.items():
            if parts is not None and (found := pattern.search(line)):
                parts[name] = float(found.group(1))
    return elapsed


def show_parts(total: float, parts: dict[str, float]) -> float:
    """Print mailvault's parts; return its own time (everything but the first restic pass's work).

    restic starts before the new messages are hashed and waits at its gate (an exclude file that is
    a FIFO) until the scan's files are written: the time it waited there is mailvault's, not restic's.
    """
    keys = ("restic", "scan", "reconcile", "catch-up", "waited", "hashing")
    took, scan_s, rec, catch, waited, hashing = (parts.get(k, 0.0) for k in keys)
    restic = took - waited
    own = total - restic
    print(
        f"{'':12s} mailvault parts: start-up {total - scan_s - took - rec:5.2f} s incl. exit,"
        f" scan {scan_s:5.2f} s, restic {restic:6.2f} s (hashing {hashing:4.2f} s beside it, restic waited"
        f" {waited:4.2f} s), reconciliation {rec - catch:5.2f} s, catch-up {catch:5.2f} s;"
        f" own {own:5.2f} s = {100 * own / restic if restic else 0:4.1f} % of restic"
    )
    return own


def add_one_percent(vmail: Path, messages: int, round_no: int) -> None:
    """1 % new mail, spread over every mailbox's INBOX."""
    now = datetime.now(UTC)
    maildirs = sorted(vmail.glob("*/*/Maildir"))
    per_box = max(1, messages // 100 // len(maildirs))
    for n, maildir in enumerate(maildirs):
        for i in range(per_box):
            data = f"Subject: new {round_no}-{n}-{i}\n\n".encode() + os.urandom(2000).hex().encode()
            seq = 10**7 + round_no * 10**5 + n * 1000 + i
            mailstore.deliver(maildir, data, date=now, seq=seq, flags=None)


def interleaved(a: object, b: object, runs: int = 5) -> tuple[float, float]:
    """Best of ``runs`` for each, alternating, so that both meet the same state of the machine."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, into in ((a, times[0]), (b, times[1])):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            into.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mailvault-bench"))
    parser.add_argument("--rounds", type=int, default=3, help="incremental rounds (1 %% new mail each)")
    parser.add_argument("--scan-only", action="store_true", help="only the scan against find, on the workdir's store")
    parser.add_argument("--live", type=float, default=0.0, help="changes a second during the incremental rounds")
    args = parser.parse_args()
    work: Path = args.workdir
    if args.scan_only:
        compare_scan(work / "vmail")
        return
    gen, config_dirs, key_dirs = prepare(work, args.messages)

    with SeaweedS3(work / "s3") as s3:
        mv_url = f"s3:{s3.endpoint}/bench/mailvault"
        config, env = configure(work, s3, mv_url, config_dirs, key_dirs)
        mv = [sys.executable, "-m", "mailvault", "--config", str(config), "-vv"]
        timed([*mv, "init"], env)
        paths = [str(work / "vmail"), *map(str, config_dirs), *map(str, key_dirs)]
        same = [f"--exclude={pattern}" for pattern in excludes(load_config(config))]
        runs: dict[str, list[str]] = {"mailvault": [*mv, "backup"]}
        for name, extra in (("restic", []), ("restic+excl", same)):
            url = f"s3:{s3.endpoint}/bench/{name.replace('+', '-')}"
            timed(["restic", "-r", url, "init", "--repository-version", "2"], env)
            runs[name] = ["restic", "-r", url, "backup", "--json", "--compression", "auto", *extra, *paths]
        subprocess.run(["find", str(work), "-type", "f", "-printf", "%s\n"], stdout=subprocess.DEVNULL, check=True)

        rounds = {"first": 1, "incremental": args.rounds}
        folders = churn.maildir_folders(work / "vmail")
        for phase, count in rounds.items():
            ratios: dict[str, list[float]] = {"restic": [], "restic+excl": []}
            owns: list[float] = []
            for round_no in range(count):
                if phase == "incremental":
                    add_one_percent(work / "vmail", gen.messages, round_no)
                order = list(runs)[round_no % 3 :] + list(runs)[: round_no % 3]  # who reads the new mail first
                shown = "mailvault: manifest:|reconciled" if round_no == 0 else ""  # mailvault's own log lines
                parts: dict[str, float] = {}
                live = churn.LiveTraffic(folders, args.live) if args.live and phase == "incremental" else None
                with live or contextlib.nullcontext():
                    took = {
                        name: timed(runs[name], env, show=shown if name == "mailvault" else "",
                                    parts=parts if name == "mailvault" else None)
                        for name in order
                    }  # fmt: skip
                if live is not None:
                    print(f"{'':12s} live traffic during the round: {live.done}")
                owns.append(show_parts(took["mailvault"], parts))
                for name in ratios:
                    ratios[name].append(took["mailvault"] / took[name])
                print(
                    f"{phase:12s} restic {took['restic']:6.2f} s   restic+excl {took['restic+excl']:6.2f} s   "
                    f"mailvault {took['mailvault']:6.2f} s   ratio {ratios['restic'][-1]:.3f} / "
                    f"{ratios['restic+excl'][-1]:.3f} (first runner: {order[0]})"
                )
            if count > 1:
                print(
                    f"{phase:12s} median ratio over {count} rounds: {statistics.median(ratios['restic']):.3f} "
                    f"against restic, {statistics.median(ratios['restic+excl']):.3f} against restic+excl; "
                    f"mailvault's own time median {statistics.median(owns):.2f} s"
                )

    compare_scan(work / "vmail")


def compare_scan(root: Path) -> None:
    t_find, t_scan = interleaved(
        lambda: subprocess.run(
            ["find", str(root), "-type", "f", "-printf", "%s\n"], stdout=subprocess.DEVNULL, check=True
        ),
        lambda: scan([root], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=200),
    )
    print(f"scan         find   {t_find:7.3f} s   manifest  {t_scan:7.3f} s   ratio {t_scan / t_find:.3f}")


if __name__ == "__main__":
    main()
