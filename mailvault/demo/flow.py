"""The end-to-end demo on the embedded defaults: S3 on loopback, a generated store, real restic."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mailvault.demo import churn, mailstore
from mailvault.demo.docker_engine import docker_engine
from mailvault.demo.seaweed import SeaweedS3

# Changes a second to the demo's store while its second backup, the check and the drill run.
LIVE_RATE = 10

Runner = Callable[[list[str]], int]


def write_demo_config(work: Path, s3: SeaweedS3, config_dirs: list[Path], key_dirs: list[Path]) -> Path:
    secrets_dir = work / "secrets"
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    for name, value in (("s3-access-key-id", s3.admin.access_key), ("s3-secret-access-key", s3.admin.secret_key)):
        path = secrets_dir / name
        path.write_text(value + "\n")
        path.chmod(0o600)
    config = work / "mailvault.toml"
    config.write_text(
        f"""[repository]
url = "s3:{s3.endpoint}/mailvault/demo"
password_file = "{secrets_dir / "repository.key"}"

[repository.s3]
access_key_id_file = "{secrets_dir / "s3-access-key-id"}"
secret_access_key_file = "{secrets_dir / "s3-secret-access-key"}"
region = "us-east-1"

[sources]
maildirs = ["{work / "vmail"}"]
layout = "%d/%n/Maildir"
config = [{", ".join(f'"{d}"' for d in config_dirs)}]
keys = [{", ".join(f'"{d}"' for d in key_dirs)}]

[state]
dir = "{work / "state"}"

[targets]
rpo = "26h"
rto = "1h"

[check]
read_data_runs = 4
"""
    )
    config.chmod(0o600)
    return config


def change_mail(vmail: Path) -> str:
    """New mail in one mailbox, a flag change (rename) and a deletion in another."""
    alice = vmail / "example.com" / "alice" / "Maildir"
    now = datetime.now(UTC)
    for i in range(5):
        data = f"From: news@remote.example\nSubject: new mail {i}\nMessage-ID: <new{i}@remote.example>\n\nhello\n"
        mailstore.deliver(alice, data.encode(), date=now, seq=900000 + i, flags=None)
    bob_cur = vmail / "example.org" / "bob" / "Maildir" / "cur"
    files = sorted(bob_cur.iterdir())
    renamed = files[0]
    renamed.rename(renamed.with_name(renamed.name.split(":")[0] + ":2,FS"))
    files[1].unlink()
    return "5 new messages for alice@example.com, 1 flag change and 1 deletion for bob@example.org"


def run_demo(work: Path, runner: Runner, say: Callable[[str], None]) -> int:
    """Run the demo in ``work`` (emptied first); ``runner`` executes one mailvault command line."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    say(f"== embedded S3: starting SeaweedFS on loopback (work dir {work})")
    with SeaweedS3(work / "s3") as s3, contextlib.ExitStack() as stack:
        say(f"   S3 endpoint {s3.endpoint}")
        gen = mailstore.generate(work / "vmail")
        config_dirs, key_dirs = mailstore.make_server_config(work)
        say(f"== sample mail store: {len(gen.mailboxes)} mailboxes, {gen.messages} messages in {work / 'vmail'}")
        config = write_demo_config(work, s3, config_dirs, key_dirs)

        def failed(steps: list[tuple[str, list[str]]], ok: tuple[int, ...] = (0,)) -> bool:
            return any(_step(runner, say, config, title, args, ok=ok) for title, args in steps)  # (stops at one)

        if failed(FIRST_STEPS):
            return 1
        say("== " + change_mail(work / "vmail"))
        say(f"== a live host: {LIVE_RATE} changes a second (deliveries, reads, flag changes, expunges) from now on")
        live = stack.enter_context(churn.LiveTraffic(churn.maildir_folders(work / "vmail"), LIVE_RATE))
        if failed(LIVE_STEPS) or failed(_kit_steps(work)):
            return 1
        with docker_engine(work) as started:
            if started:
                say("== no Docker engine was running: started dockerd for the demo (no bridge, no iptables)")
            say("== the restore drill (the first run builds the restore-target image: about two minutes)")
            if failed([("restore-test: restore, serve, prove over IMAP, judge RTO/RPO", ["restore-test"])]):
                return 1
        done = live.stop()
        say(f"== the live host made {done.total()} changes during the backup, the check and the drill: {done}")
        if failed(STATUS_STEPS, ok=(0, 1, 2)):
            return 1
    if migrate_demo(runner, say, config, work):
        return 1
    say(f"== demo finished: real restic, SeaweedFS, Docker, Dovecot and BIND ran all of it; files are in {work}")
    return 0


FIRST_STEPS = [
    ("validate the config", ["config", "validate"]),
    ("create bucket (versioned, Object Lock 7 days), password and repository", ["init", "--object-lock-days", "7"]),
    ("what protects the offsite copy", ["storage", "check"]),
    ("first backup", ["backup"]),
]
LIVE_STEPS = [
    ("incremental backup, reconciled with what restic saved while mail changed", ["backup"]),
    ("the snapshots with their manifest totals", ["snapshots"]),
    ("repository check with a rotating data subset", ["check"]),
]
STATUS_STEPS = [
    ("status: every duty against its target (exit 0 OK, 1 WARN, 2 CRIT: a Nagios plugin)", ["status"]),
    ("the schedule: each job and its next run", ["schedule", "list"]),
]


def _kit_steps(work: Path) -> list[tuple[str, list[str]]]:
    """Export the recovery kit (printable), verify it, and list the snapshots with nothing but it."""
    passphrase = work / "secrets" / "kit-passphrase"
    passphrase.write_text(secrets.token_urlsafe(18) + "\n")
    passphrase.chmod(0o600)
    kit = work / "recovery-kit.txt"
    pf = ["--passphrase-file", str(passphrase)]
    return [
        ("the recovery kit, printable", ["kit", "export", "--armor", "--out", str(kit), *pf]),
        ("the kit opens the real repository", ["kit", "verify", str(kit), *pf]),
        (
            "a bare machine: nothing but the kit and its passphrase",
            ["--kit", str(kit), "--kit-passphrase-file", str(passphrase), "snapshots"],
        ),
    ]


def migrate_demo(runner: Runner, say: Callable[[str], None], config: Path, work: Path) -> bool:
    """A provider switch between two local Dovecot servers set up unlike each other. True: it failed."""
    from mailvault.demo.imap_servers import old_provider, seed, this_host

    user = "alice@example.com"
    passwords = {"old": secrets.token_urlsafe(12), "new": secrets.token_urlsafe(12)}
    say("\n== a provider switch: two local Dovecot servers, the old one ('/' separator, Sent, Trash, Spam)")
    say("   and this host's ('.' separator, INBOX. prefix, 'Sent Messages', 'Deleted Messages', Junk, a quota)")
    old = old_provider(work / "imap-old", {user: passwords["old"]})
    new = this_host(work / "imap-new", {user: passwords["new"]})
    try:
        seeded = seed(old, user)
        say(f"   the old server holds {seeded.messages} messages in {len(seeded.folders)} folders: flags, keywords,")
        say("   arrival dates, non-ASCII names, no Message-ID, a repeated Message-ID, 8-bit headers, broken MIME")
        for side in ("old", "new"):
            path = work / "secrets" / f"alice.{side}"
            path.write_text(passwords[side] + "\n")
            path.chmod(0o600)
        accounts = work / "accounts.toml"
        accounts.write_text(
            f'[source]\nhost = "127.0.0.1"\nport = {old.port}\ntls = "none"   # loopback only: reported\n\n'
            f'[destination]\nhost = "127.0.0.1"\nport = {new.port}\ntls = "none"\n\n'
            f'[[accounts]]\nsource_user = "{user}"\nsource_password_file = "{work / "secrets" / "alice.old"}"\n'
            f'destination_user = "{user}"\ndestination_password_file = "{work / "secrets" / "alice.new"}"\n'
        )
        for title, args in [
            ("migrate plan: where each folder goes, counts, sizes, quota", ["migrate", "plan", str(accounts)]),
            ("migrate run: every message with its flags, keywords and date, then verify",
             ["migrate", "run", str(accounts)]),
            ("run again: nothing is copied twice", ["migrate", "run", str(accounts), "--no-verify"]),
            ("migrate verify: both sides, folder by folder", ["migrate", "verify", str(accounts)]),
        ]:  # fmt: skip
            if _step(runner, say, config, title, args):
                return True

        def new_mail_arrives() -> None:
            from mailvault.demo.imap_servers import imap, message

            client = imap(new, user)
            client.append("INBOX", message(990, subject="arrived at the new server after the cutover"), (), None)
            client.logout()
            say("\n== a message arrives at the new server after the cutover; then the switch is undone")

        return dns_demo(runner, say, config, work, accounts, new_mail_arrives)
    finally:
        old.stop()
        new.stop()


def dns_demo(
    runner: Runner, say: Callable[[str], None], config: Path, work: Path, accounts: Path, after: Callable[[], None]
) -> bool:
    """The MX cutover of example.com on a local BIND9 zone, then its rollback. True: it failed."""
    from mailvault.demo.bind import BindAuthority, BindResolver, demo_zone

    domain = "example.com"
    say(f"\n== the DNS cutover: a local BIND9 serves {domain} (TTL 8 s, TSIG-signed dynamic updates) and a")
    say("   caching BIND9 resolver stands in for the resolvers out there; TTLs are seconds, not hours")
    zone_text = demo_zone(domain, ttl=8, negative_ttl=3)
    authority = BindAuthority(work / "dns" / "authority", zone=domain, zone_text=zone_text).start()
    resolver = BindResolver(work / "dns" / "resolver", zone=domain, upstream=authority.address)
    try:
        resolver.start()
        with config.open("a") as fh:
            fh.write(
                f'\n[migrate]\ndomain = "{domain}"\n\n[dns]\nbackend = "rfc2136"\nserver = "{authority.address}"\n'
                f'tsig_key_file = "{authority.key_file}"\nresolvers = ["{resolver.address}"]\nlow_ttl = 2\n'
                'margin = "2s"\n'
            )
        steps: list[tuple[str, list[str], tuple[int, ...]]] = [
            ("dns inspect: the mail records as the authoritative server serves them", ["dns", "inspect", domain], (0,)),
            ("dns plan: every wait computed from the TTLs served",
             ["dns", "plan", domain, "--new-mx", f"mx.this-host.{domain}", "--new-ip", "127.0.0.1"], (0,)),
            ("dns lower-ttl: low TTLs, the new host published, both servers in SPF; journaled first",
             ["dns", "lower-ttl", domain], (0,)),
            ("dns gate: the resolver still holds the old TTL, so the gate is closed (exit 1)",
             ["dns", "gate", domain], (0, 1)),
            ("dns gate --wait: until it opens", ["dns", "gate", domain, "--wait", "--timeout", "60"], (0,)),
            ("migrate cutover: final sync, MX switch, wait for the resolvers, sync again",
             ["migrate", "cutover", str(accounts)], (0,)),
            ("dns verify: who sees the new MX", ["dns", "verify", domain], (0,)),
            ("dns journal: every change with what it replaced", ["dns", "journal", domain], (0,)),
            ("migrate rollback: the MX back (journal inverse), then the mail that arrived since",
             ["migrate", "rollback", str(accounts)], (0,)),
            ("dns inspect: the zone as it was", ["dns", "inspect", domain], (0,)),
        ]  # fmt: skip
        for title, args, ok in steps:
            if args[:2] == ["dns", "lower-ttl"]:
                _prime(resolver.port, domain)
            if args[:2] == ["migrate", "rollback"]:
                after()
            if _step(runner, say, config, title, args, ok=ok):
                return True
    finally:
        resolver.stop()
        authority.stop()
    return False


def _prime(port: int, domain: str) -> None:
    """Ask the resolver for the MX, as mail senders out there did before the TTL was lowered."""
    import dns.message
    import dns.query

    dns.query.udp(dns.message.make_query(domain, "MX"), "127.0.0.1", port=port, timeout=2)


def _step(
    runner: Runner, say: Callable[[str], None], config: Path, title: str, args: list[str], ok: tuple[int, ...] = (0,)
) -> bool:
    argv = args if args[0] == "--kit" else ["--config", str(config), *args]  # a kit stands in for the config
    say(f"\n== {title}\n$ mailvault {' '.join(argv)}")
    sys.stdout.flush()
    code = runner(argv)
    if code not in ok:
        say(f"== demo stopped: `mailvault {' '.join(args)}` exited {code}")
        return True
    return False


def default_workdir() -> Path:
    return Path(os.environ.get("MAILVAULT_DEMO_DIR", "/tmp/mailvault-demo"))
