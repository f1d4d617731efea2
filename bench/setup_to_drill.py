"""Benchmark: time to confidence on a new mail host. One `mailvault setup --yes …` (detect, write the
config, init, first backup, first drill in Docker, kit export) against the same work done by hand
with a perfect hand-written config (`init`, `backup`, `restore-test`, `kit export`), in one run, on
a generated host: 5,000 messages in /…/vmail/%d/%n/Maildir, Dovecot's mail_location saying so,
Postfix with TLS files, OpenDKIM with a KeyTable. Before each, the drill image is removed, so
both build it as a new host would.

Usage: .venv/bin/python bench/setup_to_drill.py [--messages 5000] [--workdir DIR]
Prints each path's commands and their times, setup's own steps, and the ratio of the two. Target
(issue 20): a passing drill report within 3 commands and 5 minutes, the image not yet built.
Starts dockerd if none runs. It removes the drill image: do not run it beside the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import prepare

from mailvault.demo.docker_engine import docker_engine
from mailvault.demo.seaweed import SeaweedS3
from mailvault.drill.image import image_tag

PASSPHRASE = "correct horse battery staple, benched"


def run(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv[3:6])} failed ({proc.returncode}): {proc.stderr[-2000:]}\n{proc.stdout[-2000:]}")
    return took, proc.stdout


def forget_image() -> None:
    subprocess.run(["docker", "image", "rm", "--force", image_tag()], capture_output=True)
    subprocess.run(["docker", "builder", "prune", "--force"], capture_output=True)


def host(work: Path) -> Path:
    """The host's own configs, as setup reads them: Dovecot's mail_location, OpenDKIM's KeyTable."""
    etc = work / "etc"
    (etc / "dovecot" / "dovecot.conf").write_text(f"mail_location = maildir:{work / 'vmail'}/%d/%n/Maildir\nssl = no\n")
    (etc / "opendkim" / "KeyTable").write_text(
        f"mail._domainkey.d0.example d0.example:mail:{etc}/opendkim/keys/mail.private\n"
    )
    (etc / "opendkim.conf").write_text(f"KeyTable refile:{etc}/opendkim/KeyTable\n")
    return etc


def secrets(work: Path, s3: SeaweedS3) -> Path:
    where = work / "given"
    where.mkdir(mode=0o700)
    for name, value in (("s3-id", s3.admin.access_key), ("s3-secret", s3.admin.secret_key), ("kit", PASSPHRASE)):
        (where / name).write_text(value + "\n")
        (where / name).chmod(0o600)
    return where


def by_setup(work: Path, etc: Path, given: Path, url: str) -> tuple[float, dict]:  # type: ignore[type-arg]
    config = work / "setup" / "mailvault.toml"
    argv = [sys.executable, "-m", "mailvault", "--config", str(config), "setup", "--yes", "--json"]
    argv += ["--repository", url, "--s3-access-key-file", str(given / "s3-id")]
    argv += ["--s3-secret-key-file", str(given / "s3-secret"), "--kit-passphrase-file", str(given / "kit")]
    argv += ["--state-dir", str(work / "setup" / "state"), "--schedule", "none"]
    argv += ["--dovecot-config", str(etc / "dovecot" / "dovecot.conf"), "--postfix-config", str(etc / "postfix")]
    argv += ["--opendkim-config", str(etc / "opendkim.conf"), "--rspamd-config", str(etc / "rspamd")]
    took, out = run(argv)
    return took, json.loads(out)


def by_hand(work: Path, written: Path, url: str) -> list[tuple[str, float, str]]:
    """The four commands on a copy of setup's config (its own repository and state dir): the config
    an operator would have had to write by hand, counted as free."""
    config = work / "by-hand.toml"
    text = written.read_text().replace(url, url + "-by-hand").replace(str(work / "setup" / "state"), str(work / "hand"))
    config.write_text(text)
    config.chmod(0o600)
    mv = [sys.executable, "-m", "mailvault", "--config", str(config)]
    kit = ["kit", "export", "--out", str(work / "hand-kit.bin"), "--passphrase-file", str(work / "given" / "kit")]
    times = []
    for args in (["init"], ["backup"], ["restore-test", "--json"], kit):
        took, out = run([*mv, *args])
        times.append((" ".join(a for a in args[:2] if a != "--json"), took, out))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mailvault-bench-setup"))
    args = parser.parse_args()
    work: Path = args.workdir
    gen, _config_dirs, _key_dirs = prepare(work, args.messages)
    etc = host(work)
    with SeaweedS3(work / "s3") as s3, docker_engine(work):
        url = f"s3:{s3.endpoint}/bench/setup"
        given = secrets(work, s3)
        forget_image()
        setup_s, said = by_setup(work, etc, given, url)
        forget_image()
        hand = by_hand(work, work / "setup" / "mailvault.toml", url)
    print(f"host: {gen.messages} messages in {len(gen.mailboxes)} mailboxes; the drill image removed before each path")
    print(f"mailvault setup --yes (1 command): {setup_s:7.2f} s")
    for step in said["steps"]:
        print(f"    {step['name']:<13} {step['seconds']:7.1f} s  {step['detail']}")
    drill_done = setup_s - said["steps"][-1]["seconds"]
    print(f"    a passing drill report after {drill_done:.1f} s (target <= 300 s)")
    hand_s = sum(took for _, took, _ in hand)
    print(f"by hand, config written for free (4 commands): {hand_s:7.2f} s")
    for name, took, out in hand:
        verdict = f"  verdict {json.loads(out)['verdict']}" if name == "restore-test" else ""
        print(f"    {name:<13} {took:7.1f} s{verdict}")
    print(f"ratio setup / by hand: {setup_s / hand_s:.3f}")


if __name__ == "__main__":
    main()
