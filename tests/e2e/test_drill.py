"""`mailvault restore-test` end to end: real restic, SeaweedFS S3, Docker and Dovecot."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.workspace import Workspace


def drill_containers(ws: Workspace) -> list[str]:
    """This workspace's drill containers (another suite or installation on the daemon has its own)."""
    from mailvault.tools.container import owner_of

    owner = f"label=mailvault.owner={owner_of(str(ws.state.resolve()))}"
    out = subprocess.run(
        ["docker", "ps", "--all", "--filter", "label=mailvault.drill", "--filter", owner, "--format", "{{.Names}}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.split()


def restored_copies(ws: Workspace, wait: float = 60) -> list[Path]:
    """The drill work dirs left in the state dir, once the background deletion has had ``wait`` s."""
    deadline = time.monotonic() + wait
    while (left := list((ws.state / "drills").glob("*"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture
def drilled(ws: Workspace, drill_image: str) -> Workspace:
    """A backed-up store owned by a mail user (uid 5000, as `vmail` on a real server)."""
    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    ws.cli("init")
    ws.cli("backup")
    return ws


def test_a_good_backup_passes_the_drill(drilled: Workspace) -> None:
    ws = drilled
    proc = ws.cli("restore-test", "--json", check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode in (0, 2), proc.stderr
    assert report["verdict"] in ("pass", "warn") and not [f for f in report["findings"] if f["level"] == "fail"]
    assert (report["mailboxes"], report["messages"]) == (4, 80)
    assert report["samples"] == 10 and report["rto_s"] > 0 and report["rpo_s"] < 600
    assert set(report["phases"]) == {
        "snapshot", "container", "restore", "lint", "serve", "verify", "controls", "canary"
    }  # fmt: skip
    # mail flows again: the restored Postfix took a canary and Dovecot's LMTP put it in a restored INBOX
    canary = report["canary"]
    assert canary["arrived_s"] > report["rto_s"] > 0 and canary["recipient"] == "alice@example.com"
    assert canary["outbound_refused"].startswith("550") and canary["missing"] == []
    assert any(f["message"].startswith("mail flows again") for f in report["findings"] if f["phase"] == "canary")
    # the verifier proved it would have noticed each of the seven damages, on copies of a real folder
    assert report["controls"]["caught"] == "7/7", report["controls"]
    assert all(c["caught"] and c["caught_by"] for c in report["controls"]["controls"][1:])
    assert not report["controls"]["controls"][0]["caught"], "the undamaged copy passed"
    assert any(f["message"].startswith("verifier sensitivity: 7/7 damages caught") for f in report["findings"])
    # coverage over time: the first of 12 shares read back byte for byte, the rest waiting their turn
    cov = report["coverage"]
    assert (cov["share"], cov["every"], cov["cycle"], cov["shares_proven"]) == (1, 12, 1, 1), cov
    assert 0 < cov["messages_proven"] < 80 and cov["messages_proven"] + cov["messages_pending"] == 80, cov
    assert (
        cov["oldest_unproven"]["since"] is None
        and "- coverage: share 1 of 12 read back" in Path(report["paths"]["markdown"]).read_text()
    )
    # what the drill cost in egress: the snapshot's data as stored (compressed: under the store's size)
    assert 0 < report["repository_bytes_read"] < 2 * sum(p.stat().st_size for p in ws.vmail.rglob("*") if p.is_file())
    # one phase line each, whole, each saying what it does (the phases overlap in threads)
    said = [line for line in proc.stderr.splitlines() if line.startswith("drill:")]
    assert all(line.count("drill:") == 1 for line in said) and len(said) == len(set(said)), said
    assert [line.split(":")[1].strip() for line in said[:2]] == ["snapshot", "container"] or len(said) >= 6, said
    assert any("match the manifest over IMAP" in f["message"] for f in report["findings"])
    restore = [f["message"] for f in report["findings"] if f["phase"] == "restore"]
    assert restore == [f"restored snapshot {report['snapshot_id'][:8]} with 4 restic processes side by side,"
                       " each reading back what it wrote (--verify)"]  # fmt: skip
    assert drill_containers(ws) == [] and restored_copies(ws) == []
    md = Path(report["paths"]["markdown"]).read_text()
    assert md.startswith(f"# Restore drill {report['run_id']}: ")
    history = ws.cli_json("history", "--kind", "drill")
    assert history[0]["kind"] == "drill" and history[0]["status"] == "ok"


def test_a_blinded_verifier_is_caught_by_the_controls(drilled: Workspace) -> None:
    """With the sampled-hash comparison switched off (a test-only switch), the good backup still passes
    its checks, but the byte-flip control is not noticed: the drill says so and WARNs."""
    proc = drilled.cli("restore-test", "--json", check=False, env={"MAILVAULT_TEST_BLIND_VERIFIER": "sample-hashes"})
    report = json.loads(proc.stdout)
    assert (proc.returncode, report["verdict"]) == (2, "warn"), proc.stdout[-3000:]
    assert report["controls"]["caught"] == "6/7"
    warned = [f["message"] for f in report["findings"] if f["level"] == "warn"]
    assert any("did not notice a byte flipped in a sampled message" in w for w in warned), warned
    assert not [f for f in report["findings"] if f["level"] == "fail"]


def test_the_canary_never_leaves_even_when_the_restored_config_names_a_relay(ws: Workspace, drill_image: str) -> None:
    """The restored main.cf sends everything through a relay that really listens on loopback: the drill
    must not connect to it, and the canary is still delivered locally."""
    import socket
    import threading

    ws.generate()
    relay = socket.socket()
    relay.bind(("127.0.0.9", 0))
    relay.listen()
    relay.settimeout(0.5)
    connections: list[object] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                connections.append(relay.accept()[1])
            except TimeoutError:
                continue

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        main_cf = ws.config_dirs[0] / "main.cf"
        port = relay.getsockname()[1]
        main_cf.write_text(main_cf.read_text() + f"relayhost = [127.0.0.9]:{port}\ndefault_transport = smtp\n")
        ws.cli("init")
        ws.cli("backup")
        report = json.loads(ws.cli("restore-test", "--json", check=False).stdout)
    finally:
        stop.set()
        watcher.join()
        relay.close()
    assert connections == [], "the drill connected to the restored relay"
    assert report["canary"]["arrived_s"] > 0 and report["canary"]["outbound_refused"].startswith("550")


def test_a_restored_postfix_config_that_cannot_start_fails_naming_it(ws: Workspace, drill_image: str) -> None:
    ws.generate()
    main_cf = ws.config_dirs[0] / "main.cf"
    main_cf.write_text(main_cf.read_text() + "this line is not a setting\n")
    ws.cli("init")
    ws.cli("backup")
    report = fails(ws)
    assert f"the restored Postfix config in {ws.config_dirs[0]} cannot be read" in failures(report), failures(report)
    assert "missing '=' after attribute name" in failures(report)


def test_a_root_owned_store_is_served_as_nobody(ws: Workspace, drill_image: str) -> None:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    proc = ws.cli("restore-test", "--json", check=False)
    report = json.loads(proc.stdout)
    assert report["verdict"] in ("pass", "warn"), [f for f in report["findings"] if f["level"] == "fail"]
    assert report["messages"] == 80 and drill_containers(ws) == []


def fails(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    proc = ws.cli("restore-test", "--json", *args, check=False, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "fail"
    assert drill_containers(ws) == [], "a failed drill leaves no container behind"
    return report


def failures(report: dict) -> str:  # type: ignore[type-arg]
    return " | ".join(f["message"] for f in report["findings"] if f["level"] == "fail")


def s3_objects(ws: Workspace, s3server, prefix: str) -> tuple[object, str, list[str]]:  # type: ignore[no-untyped-def]
    from tests.e2e.test_storage import admin_client

    s3 = admin_client(s3server)
    bucket, key_prefix = ws.url.split("/")[3], "/".join(ws.url.split("/")[4:])
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{key_prefix}/{prefix}")
    return s3, bucket, [o["Key"] for o in listing.get("Contents", [])]


def test_a_corrupted_pack_fails_the_drill(drilled: Workspace, s3server) -> None:  # type: ignore[no-untyped-def]
    s3, bucket, keys = s3_objects(drilled, s3server, "data/")
    biggest = max(keys, key=lambda k: s3.head_object(Bucket=bucket, Key=k)["ContentLength"])  # type: ignore[attr-defined]
    body = bytearray(s3.get_object(Bucket=bucket, Key=biggest)["Body"].read())  # type: ignore[attr-defined]
    body[len(body) // 3] ^= 0xFF
    s3.put_object(Bucket=bucket, Key=biggest, Body=bytes(body))  # type: ignore[attr-defined]
    proc = drilled.cli("restore-test", "--json", "--keep-on-failure", "0.001", check=False)  # keep it 3.6 s
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert "restic restore" in failures(report) or "the snapshot does not hold what was scanned" in failures(report)
    assert len(drill_containers(drilled)) == 1 and "kept the failed drill's container" in proc.stderr
    assert list((drilled.state / "drills").glob("*/restore")), "its files are kept with it..."
    assert not list((drilled.state / "drills").glob("*/secrets/*")), "...but never the secrets"

    time.sleep(4)
    fails(drilled)  # the next drill removes the expired container (and fails again: the pack is still bad)
    assert restored_copies(drilled) == []


def test_a_missing_pack_fails_the_drill(drilled: Workspace, s3server) -> None:  # type: ignore[no-untyped-def]
    """The smallest pack (trees): restic gives up at once. (A missing data pack is retried by restic
    0.14 for about 100 s before the restore fails: the same verdict, too slow for this suite.)"""
    s3, bucket, keys = s3_objects(drilled, s3server, "data/")
    smallest = min(keys, key=lambda k: s3.head_object(Bucket=bucket, Key=k)["ContentLength"])  # type: ignore[attr-defined]
    s3.delete_object(Bucket=bucket, Key=smallest)  # type: ignore[attr-defined]
    report = fails(drilled)
    assert "cannot be read from the repository" in failures(report) or "restic restore" in failures(report)


def test_a_message_expunged_during_the_backup_is_churn_not_a_failure(ws: Workspace, drill_image: str) -> None:
    """A message removed between the manifest scan and restic reading the store: the manifest of
    record says the snapshot holds 4, and the drill passes, naming the expunge. (A message that the
    snapshot lacks while it is still on disk fails: see test_live_backup.py.)"""
    ws.generate()
    victim = sorted((ws.vmail / "example.org" / "bob" / "Maildir" / "cur").iterdir())[0]
    wrapper = ws.root / "restic-racing-a-delete"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *" backup "*) rm -f "{victim}";; esac\nexec restic "$@"\n')
    wrapper.chmod(0o755)
    ws.write_config(extra=f'[restic]\nbinary = "{wrapper}"\n')
    ws.cli("init")
    result = ws.cli_json("backup")
    assert (result["churn"]["expunged"], result["record"], result["manifest"]["messages"]) == (1, "complete", 79)
    proc = ws.cli("restore-test", "--json", check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode in (0, 2) and not [f for f in report["findings"] if f["level"] == "fail"], report
    assert report["messages"] == 79
    assert any("0 arrived, 0 flag changes, 1 expunged" in f["message"] for f in report["findings"])


def test_a_wrong_password_fails_naming_it(drilled: Workspace) -> None:
    drilled.write_secret("repository.key", "not-the-password-" + "x" * 8)
    report = fails(drilled)
    assert "the repository password was refused" in failures(report)


def test_docker_not_running_and_an_image_that_cannot_be_built(drilled: Workspace, tmp_path: Path) -> None:
    report = fails(drilled, env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert "docker is not running" in failures(report) and "systemctl start docker" in failures(report)

    recipe = tmp_path / "recipe"
    recipe.mkdir()
    (recipe / "Dockerfile").write_text("FROM scratch\n# a recipe whose image was never built\n")
    (recipe / "build-offline.sh").write_text("echo 'debootstrap: no mirror answers' >&2; exit 1\n")
    report = fails(drilled, env={"MAILVAULT_DOCKER_DIR": str(recipe)})
    assert "could not be built" in failures(report) and "build-offline.sh" in failures(report)


def _start_drill(ws: Workspace) -> subprocess.Popen[str]:
    import os
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "restore-test"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    before = set(drill_containers(ws))
    while not set(drill_containers(ws)) - before:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the drill container never appeared"
        time.sleep(0.1)
    return proc


def test_an_interrupted_drill_leaves_no_container_and_a_killed_ones_is_swept(drilled: Workspace) -> None:
    import signal

    proc = _start_drill(drilled)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    if drilled.watch is not None:
        drilled.watch.outputs.append(err)
    assert proc.returncode == 143, err
    assert drill_containers(drilled) == []
    assert restored_copies(drilled) == [], "an interrupted drill removes its copy before exiting"

    killed = _start_drill(drilled)
    killed.kill()  # SIGKILL: nothing can clean up...
    killed.communicate(timeout=60)
    assert len(drill_containers(drilled)) == 1
    report = drilled.cli_json("restore-test")  # ...so the next drill does, and says so
    assert report["verdict"] in ("pass", "warn") and drill_containers(drilled) == []
    history = drilled.cli_json("history", "--kind", "drill")
    assert [r["status"] for r in history][:3] == ["ok", "interrupted", "failed"]


@pytest.mark.parametrize("phase", ["controls", "canary"])
def test_a_drill_interrupted_in_its_controls_or_canary_leaves_nothing_behind(drilled: Workspace, phase: str) -> None:
    """SIGTERM as the phase starts (--runtime local, where a leftover would live on this host): no scratch
    copies, no restored tree, no Postfix or Dovecot of the drill still running."""
    import os
    import signal
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "mailvault", "--config", str(drilled.config_path), "restore-test", "--runtime", "local"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert proc.stderr is not None
    said = []
    for line in proc.stderr:
        said.append(line)
        if line.startswith(f"drill: {phase}:"):
            time.sleep(0.5)  # into the phase: copies staged, or Postfix starting
            proc.send_signal(signal.SIGTERM)
            break
    else:
        raise AssertionError("the drill never reached the phase: " + "".join(said))
    proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert restored_copies(drilled) == [], "the drill's work dir, with the copies, is gone"
    # this drill's processes name its work dir (the place's bind mounts); other tests' drills do not
    # (a child learns of mailvault's death from the kernel, asynchronously: a moment, not a step's time)
    deadline, left = time.monotonic() + 3, ["?"]
    while left and time.monotonic() < deadline:
        out = subprocess.run(["pgrep", "-af", str(drilled.state.resolve())], capture_output=True, text=True).stdout
        left = [line for line in out.splitlines() if "pgrep" not in line]
        time.sleep(0.1)
    assert left == [], left


def test_the_drill_without_a_container_runtime(drilled: Workspace) -> None:
    """--runtime local: restic and Dovecot in private mount and PID namespaces on this host."""
    report = drilled.cli_json("restore-test", "--runtime", "local")
    assert report["verdict"] == "pass", [f for f in report["findings"] if f["level"] != "pass"]
    assert report["runtime"].startswith("local (unshare") and (report["mailboxes"], report["messages"]) == (4, 80)
    assert any("with 4 restic processes side by side" in f["message"] for f in report["findings"])
    assert report["samples"] == 10 and drill_containers(drilled) == []
    assert report["controls"]["caught"] == "7/7" and report["canary"]["arrived_s"] > 0  # Postfix of this host
    assert restored_copies(drilled) == []


def test_restored_dkim_keys_are_checked_against_a_real_zone(ws: Workspace, tmp_path: Path) -> None:
    """BIND serves the restored key's p= at mail._domainkey, another key's at old._domainkey, nothing
    at gone._domainkey; a key configured but never backed up is missing from the restore."""
    from mailvault.demo.bind import BindAuthority
    from mailvault.dns.spf import quote
    from mailvault.drill.dkim import public_p

    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    key = ws.key_dirs[0] / "mail.private"
    right = public_p(key.read_bytes())
    other = ws.key_dirs[0].parent / "not-backed-up.private"
    other.write_bytes(_another_rsa_key())
    zone = (
        "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\n"
        "ns1 IN A 127.0.0.1\n"
        f"mail._domainkey IN TXT {quote('v=DKIM1; k=rsa; p=' + right)}\n"
        f"old._domainkey IN TXT {quote('v=DKIM1; k=rsa; p=' + public_p(other.read_bytes()))}\n"
    )
    authority = BindAuthority(tmp_path / "bind", zone="example.test", zone_text=zone).start()
    try:
        dkim = {f"{s}._domainkey.example.test": key for s in ("mail", "old", "gone")}
        dkim["lost._domainkey.example.test"] = other
        table = ", ".join(f'"{name}" = "{path}"' for name, path in dkim.items())
        ws.write_config(extra=f'[drill]\ndkim = {{ {table} }}\ndns_resolvers = ["{authority.address}"]\n')
        ws.cli("init")
        ws.cli("backup")
        proc = ws.cli("restore-test", "--json", "--runtime", "local", check=False)
    finally:
        authority.stop()
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["verdict"] == "fail", proc.stderr
    keys = [f for f in report["findings"] if f["phase"] == "lint" and "DKIM key" in f["message"]]
    dkim_found = {f["message"].split("(")[1].split(")")[0]: f for f in keys}
    levels = {name.split(".")[0]: f["level"] for name, f in dkim_found.items()}
    assert levels == {"mail": "pass", "old": "fail", "gone": "warn", "lost": "fail"}, dkim_found
    assert "would fail DKIM" in dkim_found["old._domainkey.example.test"]["message"]
    assert "no TXT record (nxdomain)" in dkim_found["gone._domainkey.example.test"]["message"]
    assert "not in the snapshot" in dkim_found["lost._domainkey.example.test"]["message"]
    assert (report["messages"], report["samples"]) == (80, 10), "the rest of the drill ran as usual"
    # the canary went through the restored Postfix signed with the restored key, and DNS vouches for it
    signed = [f for f in report["findings"] if f["phase"] == "canary" and "DKIM" in f["message"]]
    assert [f["level"] for f in signed] == ["pass"], signed
    assert "verifies against the key DNS publishes at mail._domainkey.example.test" in signed[0]["message"]
    assert report["canary"]["arrived_s"] > 0 and report["canary"]["dkim"] == signed[0]["message"]
    private = "".join(key.read_text().splitlines()[1:-1])
    assert private[:40] not in proc.stdout + proc.stderr + Path(report["paths"]["markdown"]).read_text()


def _another_rsa_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(pem, pkcs8, serialization.NoEncryption())


def test_the_report_is_stored_beside_the_backups_in_an_object_lock_bucket(ws: Workspace, s3server) -> None:  # type: ignore[no-untyped-def]
    """[drill] upload_report: next to the repository's prefix (not inside it), with the backup
    credentials, into a bucket with Object Lock (AWS S3 demands Content-MD5 there; SeaweedFS does not,
    but checks it when sent), where the report falls under the default retention like the backups."""
    from mailvault.fleet.seal import keygen
    from tests.e2e.test_storage import admin_client
    from tests.e2e.workspace import unique_prefix

    bucket = f"mv-lock-{unique_prefix()}"
    ws.url = f"s3:{s3server.endpoint}/{bucket}/mail1"
    ws.extra_toml = f'[drill]\nupload_report = true\n[fleet]\nrecipient = "{keygen()[0]}"\nhost = "mail1"\n'
    ws.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(ws.vmail)], check=True)
    ws.cli("init", "--object-lock-days", "1")
    ws.cli("backup")
    report = ws.cli_json("restore-test", "--runtime", "local")
    assert report["verdict"] == "pass", [f for f in report["findings"] if f["level"] != "pass"]
    stem = f"mail1-reports/drill-{report['started_at'][:19].replace('-', '').replace(':', '')}Z-{report['run_id']}"
    base = f"s3:{s3server.endpoint}/{bucket}/{stem}"
    assert report["upload"] == {"json": f"{base}.json", "markdown": f"{base}.md"}
    s3 = admin_client(s3server)
    stored = s3.get_object(Bucket=bucket, Key=f"{stem}.json")
    assert stored["Body"].read().decode() == Path(report["paths"]["json"]).read_text()
    assert stored.get("ObjectLockMode") == "GOVERNANCE", "the report is under the bucket's retention too"
    md = s3.get_object(Bucket=bucket, Key=f"{stem}.md")["Body"].read().decode()
    assert md == Path(report["paths"]["markdown"]).read_text() and f"stored beside the backups: {base}.json" in md
    inside = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="mail1/").get("Contents", [])]
    assert not [k for k in inside if "drill-" in k], "nothing is written inside restic's repository"
    # the fleet summaries (of the backup and the drill) fall under the same retention
    summaries = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="mailvault-fleet/mail1/")["Contents"]]
    assert len(summaries) == 2 and all(
        s3.get_object(Bucket=bucket, Key=k).get("ObjectLockMode") == "GOVERNANCE" for k in summaries
    ), summaries
