"""The fleet end to end: three mail hosts share one SeaweedFS bucket, each puts its sealed summaries
beside its repository, and `fleet status` tells the healthy one from the one whose backups stopped
and the one whose drill failed."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from mailvault.demo.seaweed import SeaweedS3
from tests.e2e.workspace import Workspace, unique_prefix

FAST_DRILL = "[drill]\ncontrols = false\ncanary = false\n"


def _host(root: Path, s3server: SeaweedS3, bucket: str, name: str, recipient: str, extra: str) -> Workspace:
    host = Workspace(root, f"s3:{s3server.endpoint}/{bucket}/hosts/{name}", "pw-" + unique_prefix(), s3server.admin)
    host.extra_toml = f'[fleet]\nrecipient = "{recipient}"\nhost = "{name}"\n{FAST_DRILL}{extra}'
    host.generate()
    subprocess.run(["chown", "-R", "5000:5000", str(host.vmail)], check=True)
    host.cli("init")
    return host


def _fleet(ws: Workspace, *args: str) -> tuple[int, dict[str, Any]]:
    proc = ws.cli("fleet", "status", "--json", *args, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_three_hosts_one_bucket_healthy_stopped_and_failed(tmp_path: Path, s3server: SeaweedS3) -> None:
    bucket = f"mv-fleet-{unique_prefix()}"
    viewer = Workspace(tmp_path / "viewer", f"s3:{s3server.endpoint}/{bucket}/viewer", "pw", s3server.admin)
    key = tmp_path / "fleet.key"
    recipient = json.loads(viewer.bare_cli("fleet", "keygen", "--out", str(key), "--json").stdout)["recipient"]
    assert key.stat().st_mode & 0o777 == 0o600 and recipient.startswith("mvfleet1:")
    healthy = _host(tmp_path / "h1", s3server, bucket, "mail1", recipient, "")
    stopped = _host(tmp_path / "h2", s3server, bucket, "mail2", recipient, '[targets]\nrpo = "3s"\n')
    # mail3's drill fails on real damage, whatever the machine's speed: a message rots in place after its
    # first backup, and its drill reads every message back (full_coverage_every = 1)
    failing = _host(tmp_path / "h3", s3server, bucket, "mail3", recipient, "full_coverage_every = 1\n")
    passphrase = healthy.write_secret("kit-passphrase", "correct horse battery staple fleet")
    healthy.cli("kit", "export", "--out", str(tmp_path / "kit.bin"), "--passphrase-file", str(passphrase))
    for host in (healthy, stopped, failing):
        host.cli("backup")
    rotten = sorted((failing.vmail / "example.com" / "bob" / "Maildir" / "cur").iterdir())[0]
    data = bytearray(rotten.read_bytes())
    data[-3] = ord("X") if data[-3] != ord("X") else ord("Y")
    rotten.write_bytes(bytes(data))
    failing.cli("backup")
    for host in (healthy, failing):
        host.cli("restore-test", "--runtime", "local", check=False)
    healthy.cli("check")
    time.sleep(7)  # mail2's last word is now more than twice its RPO old
    code, seen = _fleet(healthy, "--identity", str(key))
    rows = {r["host"]: r for r in seen["hosts"]}
    assert code == 2 and seen["state"] == "CRIT" and sorted(rows) == ["mail1", "mail2", "mail3"], seen
    assert rows["mail1"]["state"] == "OK" and rows["mail1"]["drill_verdict"] == "pass", rows["mail1"]
    assert rows["mail1"]["check_ok"] is True and rows["mail1"]["repository_bytes"] > 0
    assert rows["mail2"]["state"] == "CRIT" and rows["mail2"]["silent_since"], rows["mail2"]
    assert any(p.startswith("silent since") for p in rows["mail2"]["problems"])
    assert rows["mail3"]["state"] == "CRIT" and rows["mail3"]["drill_verdict"] == "fail", rows["mail3"]
    assert "the last restore drill failed" in rows["mail3"]["problems"]
    # the bucket's other readers see sealed bytes: no host's mailbox names, no verdict in clear
    objects = _objects(s3server, bucket)
    assert len([k for k in objects if k.startswith("mailvault-fleet/mail1/")]) == 3  # backup, drill, check
    assert all(b"example.com" not in body and b"verdict" not in body for body in objects.values())
    # the text view, for people: one line per host, the problems under it
    text = healthy.cli("fleet", "status", "--identity", str(key), check=False)
    assert text.returncode == 2 and "FLEET CRIT - 3 hosts" in text.stdout and "silent since" in text.stdout
    _page_matches_json(healthy, key, tmp_path / "fleet-page")
    _metrics_by_host(healthy, key)


def _page_matches_json(ws: Workspace, key: Path, where: Path) -> None:
    """The fleet page in headless Chromium: no console error, every chart drawn, each host's figures
    those of the JSON read in the same run."""
    from tests.browser import open_page
    from tests.e2e.test_report import SHOTS, points

    code, seen = _fleet(ws, "--identity", str(key), "--html", str(where))
    assert code == 2 and seen["html"] == str(where / "index.html")
    loaded = open_page(where / "index.html", screenshot=SHOTS / "fleet.png")
    assert loaded.console == [], loaded.console
    drawn = points(loaded.dom)
    assert drawn["overview"] == 6, drawn  # three hosts: hours since the last backup, and the RPO beside
    assert drawn["mail1:rto"] >= 1 and drawn["mail3:rto"] >= 1 and drawn["mail1:backups"] == 1, drawn
    assert all(n > 0 for n in drawn.values()), drawn
    import re

    cells = {
        (h, f): v for h, f, v in re.findall(r'data-host="([^"]+)" data-field="(\w+)" data-value="([^"]*)"', loaded.dom)
    }
    for row in seen["hosts"]:
        assert cells[(row["host"], "state")] == row["state"]
        if row["rto_s"] is not None:
            assert float(cells[(row["host"], "rto_s")]) == row["rto_s"]
    assert 'data-field="fleet.state" data-value="CRIT"' in loaded.dom


def _metrics_by_host(ws: Workspace, key: Path) -> None:
    import sys
    import urllib.request

    from mailvault.netprobe import free_port

    port = free_port()
    argv = [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), "fleet", "metrics", "serve",
            "--listen", f"127.0.0.1:{port}", "--identity", str(key)]  # fmt: skip
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, body = time.monotonic() + 30, ""
        while time.monotonic() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            except OSError:
                time.sleep(0.3)
        assert 'mailvault_fleet_host_level{host="mail1"} 0.0' in body, body[-2000:]
        assert 'mailvault_fleet_host_level{host="mail2"} 2.0' in body and "mailvault_fleet_level 2.0" in body
        assert 'mailvault_fleet_drill_passed{host="mail3"} 0.0' in body
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _objects(s3server: SeaweedS3, bucket: str) -> dict[str, bytes]:
    from tests.e2e.test_storage import admin_client

    s3 = admin_client(s3server)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="mailvault-fleet/").get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_a_bucket_that_may_not_be_listed_and_a_missing_key_are_one_line_each(ws: Workspace, s3server) -> None:  # type: ignore[no-untyped-def]
    ws.generate()
    no_list = next(i for i in s3server.identities if i.name == "no-list")
    ws.write_secret("s3-id", no_list.access_key)
    ws.write_secret("s3-secret", no_list.secret_key)
    key = ws.root / "fleet.key"
    ws.bare_cli("fleet", "keygen", "--out", str(key))
    refused = ws.cli("fleet", "status", "--identity", str(key), check=False)
    assert refused.returncode == 1 and "refused to list mailvault-fleet/" in refused.stderr, refused.stderr
    assert "s3:ListBucket" in refused.stderr and "Traceback" not in refused.stderr
    missing = ws.cli("fleet", "status", check=False)
    assert missing.returncode == 1 and "needs the fleet's secret key" in missing.stderr
    again = ws.bare_cli("fleet", "keygen", "--out", str(key), check=False)
    assert again.returncode == 1 and "never overwritten" in again.stderr
