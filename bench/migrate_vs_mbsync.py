"""Benchmark: `mailvault migrate run` against mbsync (Debian's isync) on the same mailbox, same run.

Two local Dovecot servers; the source account holds --messages messages of about 20 KB in 5 folders,
with flags and keywords, each with its own arrival date. mailvault copies into one destination
account, mbsync (configured to keep arrival dates: CopyArrivalDate yes) into another. Then each
tool runs again on the unchanged mailbox (mailvault five times: median and range). Prints messages
per second, the ratio, the re-run times, and what each kept (keywords: mbsync does not carry them).

Usage: .venv/bin/python bench/migrate_vs_mbsync.py [--messages 5000] [--workdir DIR]
Targets: >= 1.5x mbsync's messages per second; an unchanged re-run of 5,000 messages under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailvault.demo.dovecot import DovecotServer
from mailvault.demo.imap_servers import imap

FOLDERS = ["INBOX", "Archive", "Projects", "Receipts", "Lists"]
KEYWORDS = [b"$Forwarded", b"$label1", b"$Junk", b"Customer"]
RERUNS = 5  # one process start is noisy on a busy 2-core machine: the median of five is reported


def body(n: int, size: int, rng: random.Random) -> bytes:
    headers = (
        f"From: sender{n % 97}@example.org\r\nTo: alice@example.com\r\nSubject: message {n}\r\n"
        f"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <bench-{n}@example.org>\r\n\r\n"
    ).encode()
    line = b"".join(rng.choice([b"lorem ", b"ipsum ", b"dolor ", b"sit ", b"amet "]) for _ in range(12)) + b"\r\n"
    return headers + line * max(1, (size - len(headers)) // len(line))


def seed(server: DovecotServer, user: str, messages: int) -> None:
    rng = random.Random(7)
    client = imap(server, user)
    for folder in FOLDERS[1:]:
        client.create_folder(folder)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    per_folder = messages // len(FOLDERS)
    n = 0
    for folder in FOLDERS:
        for _ in range(per_folder):
            flags = [f for f, p in ((b"\\Seen", 0.8), (b"\\Answered", 0.2), (b"\\Flagged", 0.05)) if rng.random() < p]
            flags += [k for k in KEYWORDS if rng.random() < 0.15]
            client.append(folder, body(n, rng.randint(15_000, 25_000), rng), flags=flags,
                          msg_time=start + timedelta(minutes=37 * n))  # fmt: skip
            n += 1
    client.logout()


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    took = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"{argv[:4]} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return took


def spread(times: list[float]) -> str:
    """
    >>> spread([0.4, 0.3, 0.5])
    'median 0.40 s (0.30-0.50)'
    """
    return f"median {statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f})"


def keywords_kept(server: DovecotServer, user: str) -> int:
    client = imap(server, user)
    kept = 0
    for folder in FOLDERS:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        kept += sum(1 for d in client.fetch(uids, ["FLAGS"]).values() if set(d[b"FLAGS"]) & set(KEYWORDS))
    client.logout()
    return kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mailvault-bench-migrate"))
    args = parser.parse_args()
    work: Path = args.workdir
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    pw = {"alice": "src-pw-" + "a" * 10, "viamv": "dst-pw-" + "b" * 10, "viamb": "dst-pw-" + "c" * 10}
    source = DovecotServer(work / "source", {"alice": pw["alice"]}).start()
    dest = DovecotServer(work / "dest", {"viamv": pw["viamv"], "viamb": pw["viamb"]}).start()
    try:
        t0 = time.perf_counter()
        seed(source, "alice", args.messages)
        print(
            f"source: {args.messages} messages in {len(FOLDERS)} folders (seeded in {time.perf_counter() - t0:.0f} s)"
        )
        secrets = work / "secrets"
        secrets.mkdir(mode=0o700)
        for name, value in pw.items():
            (secrets / name).write_text(value + "\n")
            (secrets / name).chmod(0o600)
        accounts = work / "accounts.toml"
        accounts.write_text(
            f'[source]\nhost = "127.0.0.1"\nport = {source.port}\ntls = "none"\n'
            f'[destination]\nhost = "127.0.0.1"\nport = {dest.port}\ntls = "none"\n'
            f'[[accounts]]\nsource_user = "alice"\nsource_password_file = "{secrets / "alice"}"\n'
            f'destination_user = "viamv"\ndestination_password_file = "{secrets / "viamv"}"\n'
        )
        rc = work / "mbsyncrc"
        rc.write_text(
            f'IMAPAccount src\nHost 127.0.0.1\nPort {source.port}\nUser alice\nPassCmd "cat {secrets / "alice"}"\n'
            "SSLType None\nAuthMechs LOGIN\n\nIMAPStore src\nAccount src\n\n"
            f'IMAPAccount dst\nHost 127.0.0.1\nPort {dest.port}\nUser viamb\nPassCmd "cat {secrets / "viamb"}"\n'
            "SSLType None\nAuthMechs LOGIN\n\nIMAPStore dst\nAccount dst\n\n"
            f"Channel move\nFar :src:\nNear :dst:\nPatterns *\nCreate Near\nSync Pull\nCopyArrivalDate yes\n"
            f"SyncState {work / 'mbsync-state'}/\n"
        )
        (work / "mbsync-state").mkdir()
        mv = [sys.executable, "-m", "mailvault", "migrate"]
        env = {**os.environ, "MAILVAULT_CONFIG": str(work / "none.toml")}
        state = ["--state-dir", str(work / "state")]
        t_mv = timed([*mv, "run", str(accounts), "--no-verify", *state], env)
        t_mb = timed(["mbsync", "-c", str(rc), "-a", "-q"])
        reruns = [timed([*mv, "run", str(accounts), "--no-verify", *state], env) for _ in range(RERUNS)]
        t_sync_again = timed([*mv, "sync", str(accounts), *state], env)
        syncs = [timed([*mv, "sync", str(accounts), *state], env) for _ in range(RERUNS)]
        t_mb_again = timed(["mbsync", "-c", str(rc), "-a", "-q"])
        t_verify = timed([*mv, "verify", str(accounts)], env)
        kept_mv, kept_mb = keywords_kept(dest, "viamv"), keywords_kept(dest, "viamb")
        kept_src = keywords_kept(source, "alice")
    finally:
        source.stop()
        dest.stop()
    n = args.messages
    print(f"mailvault migrate run  {t_mv:7.2f} s  {n / t_mv:7.0f} messages/s")
    print(f"mbsync                 {t_mb:7.2f} s  {n / t_mb:7.0f} messages/s")
    print(f"ratio {t_mb / t_mv:.2f}x mbsync's messages per second (target >= 1.5)")
    print(f"unchanged re-run, {RERUNS} times: mailvault run {spread(reruns)}, sync {spread(syncs)},", end="")
    print(f" mbsync {t_mb_again:.2f} s")
    print(f"    (target < 0.5 s; the first sync after a run reads every folder's flags once: {t_sync_again:.2f} s)")
    print(f"mailvault migrate verify {t_verify:.2f} s")
    print(f"messages with keywords: source {kept_src}, via mailvault {kept_mv}, via mbsync {kept_mb}")


if __name__ == "__main__":
    main()
