"""`mailvault setup` on real host configs: the real doveconf, doveadm (a running Dovecot with a
passwd-file userdb), postconf and an OpenDKIM KeyTable in temp dirs, real restic and SeaweedFS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.setup_host import host, setup_args
from tests.e2e.workspace import Workspace

__all__ = ["host"]  # the fixture, used by name


def test_setup_yes_writes_a_config_backs_up_drills_and_exports_the_kit_then_changes_nothing(host: Workspace) -> None:
    ws, etc = host, host.root / "etc"
    done = ws.cli_json(*setup_args(ws))
    assert done["written"] == "created" and oct(ws.config_path.stat().st_mode & 0o777) == "0o600"
    text = ws.config_path.read_text()
    assert f'maildirs = ["{ws.vmail}"]' in text and 'layout = "%d/%n/Maildir"' in text
    assert f"# found: from `doveconf -h mail_location` (maildir:{ws.vmail}/%d/%n/Maildir)" in text
    assert str(etc / "opendkim" / "keys") in text and str(etc / "ssl" / "mail") in text
    assert f"from {etc}/opendkim/KeyTable" in text and "smtpd_tls_cert_file" in text
    steps = {s["name"]: s for s in done["steps"]}
    assert [s["state"] for s in done["steps"]] == ["done"] * 4, done["steps"]
    assert "4 mailboxes, 80 messages" in steps["backup"]["detail"]
    assert steps["restore-test"]["detail"].startswith("pass"), steps
    assert (ws.config_path.parent / "recovery-kit.bin").stat().st_mode & 0o077 == 0
    assert done["record"]["domains"] == ["example.com", "example.org"]
    before = (text, ws.config_path.stat().st_mtime_ns)
    again = ws.cli_json(*setup_args(ws))
    assert again["written"] == "unchanged" and again["drift"] == []
    assert [s["state"] for s in again["steps"][1:]] == ["already done"] * 3, again["steps"]
    assert (ws.config_path.read_text(), ws.config_path.stat().st_mtime_ns) == before
    check = ws.cli(*setup_args(ws, "--check"), "--json")
    assert json.loads(check.stdout)["drift"] == [] and check.returncode == 0


def test_check_reports_a_new_dkim_key_a_new_domain_and_a_moved_store_and_update_takes_them_in(
    host: Workspace,
) -> None:
    ws, etc = host, host.root / "etc"
    ws.cli_json(*setup_args(ws))
    # a new domain with its own DKIM key in a new directory; Dovecot lists its user
    newkeys = etc / "opendkim" / "new.example"
    newkeys.mkdir()
    (newkeys / "s2.private").write_bytes((etc / "opendkim" / "keys" / "mail.private").read_bytes())
    with (etc / "opendkim" / "KeyTable").open("a") as table:
        table.write(f"s2._domainkey.new.example new.example:s2:{newkeys}/s2.private\n")
    (ws.vmail / "new.example" / "carol" / "Maildir" / "cur").mkdir(parents=True)
    check = ws.cli(*setup_args(ws, "--check"), "--json", check=False)
    drift = json.loads(check.stdout)["drift"]
    assert check.returncode == 1 and [d["kind"] for d in drift] == ["keys", "dkim", "domain"], drift
    assert drift[0]["what"].startswith(f"{newkeys} is not backed up")
    assert "s2._domainkey.new.example" in drift[1]["what"] and drift[2]["what"].startswith("a new domain: new.example")
    before = ws.config_path.read_text()
    unasked = ws.cli_json(*setup_args(ws))  # a plain rerun shows the drift and changes nothing
    assert unasked["written"] == "unchanged" and len(unasked["drift"]) == 3
    assert ws.config_path.read_text() == before
    updated = ws.cli_json(*setup_args(ws, "--update"))
    assert updated["written"] == "updated"
    assert str(newkeys) in ws.config_path.read_text()
    assert before.split("[state]")[1] == ws.config_path.read_text().split("[state]")[1]  # the rest as it was
    assert ws.cli(*setup_args(ws, "--check")).returncode == 0
    # the store moves: Dovecot's mail_location now says elsewhere
    moved = ws.root / "vmail2"
    ws.vmail.rename(moved)
    conf = etc / "dovecot" / "dovecot.conf"
    conf.write_text(conf.read_text().replace(f"maildir:{ws.vmail}/", f"maildir:{moved}/"))
    check = ws.cli(*setup_args(ws, "--check"), "--json", check=False)
    drift = json.loads(check.stdout)["drift"]
    assert check.returncode == 1 and drift[0]["kind"] == "store" and str(moved) in drift[0]["what"], drift


def test_a_userdb_override_is_shown_beside_mail_location_and_the_operator_chooses(host: Workspace) -> None:
    ws, etc = host, host.root / "etc"
    carol = ws.root / "elsewhere" / "carol"
    (carol / "Maildir" / "cur").mkdir(parents=True)
    (carol / "Maildir" / "cur" / "1.M1P1.host:2,S").write_bytes(b"Subject: hi\r\n\r\nhello\r\n")
    with (etc / "dovecot" / "users").open("a") as users:
        users.write(f"carol@example.org:{{PLAIN}}pw:65534:65534::{carol}::userdb_mail=maildir:{carol}/Maildir\n")
    with (etc / "postfix" / "vmailbox").open("a") as vmailbox:  # (Postfix takes her mail, as on a real host)
        vmailbox.write("carol@example.org example.org/carol/Maildir/\n")
    time.sleep(1.1)  # (Dovecot reads a changed passwd-file at most once a second)
    refused = ws.cli(*setup_args(ws), check=False)
    assert refused.returncode == 2, refused.stderr
    assert "mail_location and its userdb disagree" in refused.stderr and "--store pattern" in refused.stderr
    assert f"carol@example.org at {carol}/Maildir" in refused.stderr and "--store dovecot" in refused.stderr
    assert not ws.config_path.exists() and not ws.state.exists(), "nothing written before the choice"
    done = ws.cli_json(*setup_args(ws, "--store", "dovecot"))
    assert done["record"]["layout"] == "dovecot" and sorted(done["record"]["maildirs"]) == sorted(
        [str(ws.vmail), str(carol)]
    )
    assert "5 mailboxes, 81 messages" in done["steps"][1]["detail"], done["steps"]
    later = ws.cli(*setup_args(ws, "--check"))  # the choice stands: the config says which store it backs up
    assert "no drift" in later.stdout, later.stdout + later.stderr


def test_a_setup_killed_halfway_leaves_a_whole_config_and_a_rerun_finishes(host: Workspace) -> None:
    import subprocess

    ws = host
    proc = subprocess.Popen([sys.executable, "-m", "mailvault", "--config", str(ws.config_path), *setup_args(ws)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while not ws.config_path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert ws.config_path.exists(), "setup wrote no config within a minute"
    assert not (ws.config_path.parent / "recovery-kit.bin").exists(), "killed halfway, not after the last step"
    assert ws.cli("config", "validate").returncode == 0
    assert [p.name for p in ws.config_path.parent.iterdir() if p.name.startswith(".")] == []
    done = ws.cli_json(*setup_args(ws))
    assert done["written"] == "unchanged" and done["steps"][2]["detail"].startswith("pass"), done["steps"]
    assert all(s["state"] in ("done", "already done") for s in done["steps"])
    assert len(json.loads(ws.restic("snapshots", "--json", "--tag", "mailvault"))) == 1


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("mbox:~/mail:INBOX=/var/mail/%u", "the store is mbox"),
        ("maildir:/nonexistent-mailvault-test/%d/%n/Maildir", "/nonexistent-mailvault-test does not exist"),
    ],
)
def test_an_mbox_store_or_a_missing_root_is_refused_and_nothing_is_written(
    ws: Workspace, location: str, said: str
) -> None:
    ws.generate()
    etc = ws.root / "etc"
    (etc / "dovecot" / "dovecot.conf").write_text(f"mail_location = {location}\nssl = no\n")
    ws.config_path = etc / "mailvault" / "mailvault.toml"
    ws.write_secret("kit-passphrase", "correct horse battery staple")
    refused = ws.cli(*setup_args(ws), check=False)
    assert refused.returncode == 1 and said in refused.stderr, refused.stderr
    if "mbox" in said:
        assert "doveadm backup -u USER maildir:~/Maildir" in refused.stderr and "convert-to-maildir" in refused.stderr
    assert not ws.config_path.exists() and not ws.state.exists()


def test_without_doveconf_and_postconf_setup_says_so_and_asks_for_the_root(ws: Workspace, tmp_path: Path) -> None:
    """Neither Dovecot's nor Postfix's tools on PATH: each is named as not detected, and --yes needs
    --maildir-root. Given it (and Postfix's tools back: the drill's canary runs the restored
    Postfix), setup goes on to a passing drill without doveconf."""
    ws.generate()

    def path_without(*hidden: str) -> dict[str, str]:
        farm = tmp_path / "-".join(hidden)
        farm.mkdir()
        for directory in os.environ["PATH"].split(":"):
            for program in Path(directory).glob("*") if Path(directory).is_dir() else ():
                if program.name not in hidden and not (farm / program.name).exists():
                    (farm / program.name).symlink_to(program)
        return {"PATH": str(farm)}

    ws.config_path = ws.root / "etc" / "mailvault" / "mailvault.toml"
    ws.write_secret("kit-passphrase", "correct horse battery staple")
    bare = path_without("doveconf", "postconf")
    seen = ws.cli("setup", "detect", "--postfix-config", str(ws.root / "etc" / "postfix"), env=bare)
    assert "Dovecot's mail_location could not be read" in seen.stdout and "postconf could not read" in seen.stdout
    refused = ws.cli(*setup_args(ws), env=bare, check=False)
    assert refused.returncode == 2 and "setup needs --maildir-root" in refused.stderr, refused.stderr
    assert not ws.config_path.exists()
    given = ["--maildir-root", str(ws.vmail), "--layout", "%d/%n/Maildir", "--json"]
    done = ws.cli(*setup_args(ws, *given), env=path_without("doveconf"))
    steps = json.loads(done.stdout)["steps"]
    assert "4 mailboxes, 80 messages" in steps[1]["detail"] and steps[2]["detail"].startswith("pass"), steps
    assert "# found: given: --maildir-root and --layout" in ws.config_path.read_text()


def test_a_wrong_schedule_or_runtime_or_check_with_update_is_refused_before_anything_runs(host: Workspace) -> None:
    ws = host
    for wrong, named in (
        (["--schedule", "weekly"], "--schedule"),
        (["--runtime", "vm"], "--runtime"),
        (["--check", "--update"], "--check only reports"),
    ):
        refused = ws.cli(*setup_args(ws, *wrong), check=False)
        assert refused.returncode == 2 and named in refused.stderr, refused.stderr
        assert not ws.config_path.exists() and not ws.state.exists()


def test_on_a_terminal_setup_asks_what_it_cannot_detect_and_nothing_else(host: Workspace) -> None:
    """A person at a terminal: asked where the backups go, the S3 keys (not echoed), the kit
    passphrase (twice), and whether to install the schedule; everything else is detected."""

    from tests.e2e.pty_run import run_on_pty

    ws, etc = host, host.root / "etc"
    assert ws.identity is not None
    args = setup_args(ws)
    asked = ("--repository", "--s3-access-key-file", "--s3-secret-key-file", "--kit-passphrase-file", "--password-file")
    for flag in ("--yes", *asked):
        at = args.index(flag)
        del args[at : at + (1 if flag == "--yes" else 2)]
    prompts = [
        ("Where the backups go: an S3 URL (s3:https://host/bucket/path) or a local directory:", ws.url),
        ("The S3 access key id:", ws.identity.access_key),
        ("The S3 secret access key:", ws.identity.secret_key),
        ("Kit passphrase:", "correct horse battery staple"),
        ("The same passphrase again:", "correct horse battery staple"),
        ("Install the nightly schedule now (systemd timers)? [y/N]:", "n"),
    ]
    argv = [sys.executable, "-m", "mailvault", "--config", str(ws.config_path), *args]
    code, shown = run_on_pty(argv, dict(prompts), env=dict(os.environ), timeout=600)
    assert code == 0, shown
    at = [shown.find(prompt) for prompt, _ in prompts]
    assert -1 not in at and at == sorted(at), (at, shown)  # each asked once, in this order
    assert all(shown.count(prompt) == 1 for prompt, _ in prompts), shown
    assert ws.identity.secret_key not in shown and "correct horse" not in shown  # never echoed
    assert "restore-test  done: pass" in shown and "schedule: not installed" in shown, shown
    here = ws.config_path.parent
    assert (here / "s3-secret-access-key").read_text().strip() == ws.identity.secret_key
    assert (here / "s3-secret-access-key").stat().st_mode & 0o077 == 0
    assert (here / "repository.password").stat().st_mode & 0o077 == 0  # generated by init
    assert "# answered at setup" in ws.config_path.read_text()
    assert str(etc / "opendkim" / "keys") in ws.config_path.read_text()


def test_a_store_the_user_running_setup_cannot_read_is_refused_with_the_fix(host: Workspace) -> None:
    """setup run as `nobody` on a host whose maildir root only root may enter: refused, naming the
    root, how it was found, and the setfacl that fixes it; nothing written."""
    ws = host
    ws.vmail.chmod(0o700)
    parent = (
        Path(__file__).resolve().parents[2]
    )  # nobody must reach the code it runs (a fresh clone in a 0700 temp dir)
    while parent != parent.parent:
        parent.chmod(parent.stat().st_mode | 0o001)
        parent = parent.parent
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "mailvault"]
    argv += ["--config", str(ws.config_path), *setup_args(ws)]
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1, refused.stderr
    said = " ".join(refused.stderr.split())
    assert f"{ws.vmail} is not readable by nobody" in said and "doveconf -h mail_location" in said, said
    assert f"setfacl -R -m u:nobody:rX {ws.vmail}" in said, said
    assert not ws.config_path.exists() and not ws.state.exists()
