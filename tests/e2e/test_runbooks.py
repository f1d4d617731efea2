"""The runbooks' commands, run as written, in order, against a real repository."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from tests.e2e.pty_run import run_on_pty
from tests.e2e.setup_host import host, host_flags
from tests.e2e.workspace import Workspace

RUNBOOKS = Path(__file__).parents[2] / "runbooks"
PASSPHRASE = "runbook kit passphrase, four words"
__all__ = ["host"]  # the fixture, used by name


def commands(runbook: Path) -> list[str]:
    """Every indented `mailvault ...` line of a runbook (a code block, in a list item or not), in order."""
    step = re.compile(r"^ {4,}mailvault( |$)")
    return [line.strip() for line in runbook.read_text().splitlines() if step.match(line)]


def mail_host(ws: Workspace) -> Path:
    """A mail host with its first backup done; returns an empty directory for kits."""
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    if ws.watch is not None:
        ws.watch.secret(PASSPHRASE)
    kit_dir = ws.root / "kit-dir"
    kit_dir.mkdir()
    return kit_dir


def test_recovery_kit_runbook(ws: Workspace) -> None:
    steps = commands(RUNBOOKS / "recovery-kit.md")
    assert len(steps) == 10, steps  # a step dropped from the runbook must be noticed
    kit_dir = mail_host(ws)
    host_env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    bare_env = {**os.environ, "MAILVAULT_CONFIG": str(ws.root / "no-config-on-this-machine.toml")}
    answers = {"Kit passphrase:": PASSPHRASE, "The same passphrase again:": PASSPHRASE}
    expect = {
        "kit export": "recovery kit written",
        "kit show": "password",
        "kit verify": "kit verified",
        "kit status": "OK: ",
        "keys rotate": "keys rotate: done",
        "snapshots": "snapshots",
        "check": "check passed",
    }
    for step in steps:
        bare = "--kit" in step
        if bare:  # the mail host is gone: no config, no password file, no S3 key files
            for name in ("repository.key", "s3-id", "s3-secret"):
                if (ws.secrets / name).exists():
                    (ws.secrets / name).rename(ws.secrets / f"{name}.gone")
        args = shlex.split(step.replace("/root/mailvault-kit/", f"{kit_dir}/"))[1:]
        code, output = run_on_pty(
            [sys.executable, "-m", "mailvault", *args], answers, env=bare_env if bare else host_env
        )
        if ws.watch is not None:
            ws.watch.outputs.append(output)
            if step == "mailvault keys rotate":
                ws.watch.secret((ws.secrets / "repository.key").read_text().strip())
        assert code == 0, f"{step}: exit {code}\n{output}"
        assert "Traceback" not in output
        key = next(k for k in expect if k in step)
        assert expect[key] in output, f"{step}: {output}"
    assert (kit_dir / "kit.txt").read_text().startswith("-----BEGIN MAILVAULT RECOVERY KIT-----")


def run_steps(ws: Workspace, steps: list[str], *, subst: dict[str, str], env: dict[str, str]) -> list[str]:
    """Run each runbook command as written (paths substituted), answering kit prompts; return outputs."""
    outputs = []
    for step in steps:
        text = step
        for old, new in subst.items():
            text = text.replace(old, new)
        code, output = run_on_pty(
            [sys.executable, "-m", "mailvault", *shlex.split(text)[1:]],
            {"Kit passphrase:": PASSPHRASE, "The same passphrase again:": PASSPHRASE},
            env=env,
        )
        if ws.watch is not None:
            ws.watch.outputs.append(output)
        assert code == 0, f"{step}: exit {code}\n{output}"
        assert "Traceback" not in output
        outputs.append(output)
    return outputs


def test_restore_one_mailbox_runbook(ws: Workspace) -> None:
    steps = commands(RUNBOOKS / "restore-one-mailbox.md")
    assert len(steps) == 4, steps
    mail_host(ws)
    out = ws.root / "srv-restore"
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    outputs = run_steps(ws, steps, subst={"/srv/restore/": f"{out}/"}, env=env)
    assert "alice@example.com/Entwürfe" in outputs[1] and "alice@example.com/Archive/2025" in outputs[1]  # dry run
    alice = ws.vmail / "example.com" / "alice" / "Maildir"
    restored = out / "alice" / str(alice).lstrip("/")
    assert sorted(p.name for p in (restored / "cur").iterdir()) == sorted(p.name for p in (alice / "cur").iterdir())
    sent = out / "alice-sent" / str(alice).lstrip("/") / ".Sent"
    assert len(list((sent / "cur").iterdir())) + len(list((sent / "new").iterdir())) == 5


def test_restore_drill_runbook(ws: Workspace, drill_image: str) -> None:
    steps = commands(RUNBOOKS / "restore-drill.md")
    assert len(steps) == 5, steps
    mail_host(ws)
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    outputs = run_steps(ws, steps, subst={}, env=env)
    assert drill_image in outputs[0] and "Restore drill" in outputs[1] and ": PASS" in outputs[1]
    assert '"verdict": "pass"' in outputs[2] and '"verdict": "pass"' in outputs[3]
    assert '"share": 3,' in outputs[3]  # each drill a share of its own: this is the third
    assert outputs[4].count("drill") >= 3


def test_full_server_restore_runbook(ws: Workspace, drill_image: str) -> None:
    import shutil

    steps = commands(RUNBOOKS / "full-server-restore.md")
    assert len(steps) == 4, steps
    kit_dir = mail_host(ws)
    pf = ws.write_secret("kit-passphrase", PASSPHRASE)
    ws.cli("kit", "export", "--out", str(kit_dir / "kit.bin"), "--passphrase-file", str(pf))
    before = {p: p.read_bytes() for p in sorted(ws.root.glob("etc/**/*")) if p.is_file()}

    def mail_files() -> list[str]:  # Dovecot's index files are rebuildable and never backed up
        return sorted(
            str(p.relative_to(ws.vmail))
            for p in ws.vmail.rglob("*")
            if p.is_file() and not p.name.startswith("dovecot.index")
        )

    mail_before = mail_files()
    # the mail host is gone: no maildirs, no config, no secrets other than the kit
    shutil.rmtree(ws.vmail)
    shutil.rmtree(ws.root / "etc")
    for name in ("repository.key", "s3-id", "s3-secret"):
        (ws.secrets / name).unlink()
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.root / "no-config-here.toml")}
    outputs = run_steps(ws, steps, subst={"/root/mailvault-kit/": f"{kit_dir}/"}, env=env)
    assert "kit verified" in outputs[0] and ": PASS" in outputs[2] and "where they were" in outputs[3]
    assert mail_files() == mail_before and len(mail_before) > 80
    assert {p: p.read_bytes() for p in sorted(ws.root.glob("etc/**/*")) if p.is_file()} == before


def test_monitoring_runbook(ws: Workspace) -> None:
    from tests.e2e.alert_sinks import HttpSink

    steps = commands(RUNBOOKS / "monitoring.md")
    assert len(steps) == 8, steps
    mail_host(ws)
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    with HttpSink() as http:
        ws.write_config(
            extra=f'[alerts.ping]\nbackup = "{http.url}/ping/b"\n[alerts.webhook]\nurl = "{http.url}/hook"\n'
        )
        outputs = []
        for step in steps:
            code, output = run_on_pty([sys.executable, "-m", "mailvault", *shlex.split(step)[1:]], {}, env=env)
            if ws.watch is not None:
                ws.watch.outputs.append(output)
            allowed = (0, 1, 2) if step.startswith("mailvault status") else (0,)
            assert code in allowed and "Traceback" not in output, f"{step}: exit {code}\n{output}"
            outputs.append(output)
        paths = http.paths()
    assert "OnCalendar=" in outputs[0] and "would write" in outputs[0] and "restore-test" in outputs[1]
    assert outputs[2].startswith("MAILVAULT ") and '"headline"' in outputs[3]
    assert "wrote " in outputs[4] and "delivered" in outputs[5] and paths == ["/ping/b/log", "/hook"]
    assert "still queued" in outputs[6] and "backup" in outputs[7]


def test_dns_cutover_runbook(local_ws: Workspace, tmp_path: Path) -> None:
    from tests.e2e.test_dns import served_zone

    steps = commands(RUNBOOKS / "dns-cutover.md")
    assert len(steps) == 12, steps
    with served_zone(local_ws, tmp_path, "example.org") as zone:
        original = zone.zone_state()
        env = {**os.environ, "MAILVAULT_CONFIG": str(local_ws.config_path), "COLUMNS": "200"}
        expect = {  # (exit code, a phrase of the output) per step, first match wins
            "dns inspect": (0, "no inconsistencies found"),
            "dns plan": (0, "lower-ttl changes: A mx.new.example.org.: absent -> 1 [192.0.2.25]"),
            "lower-ttl example.org --dry-run": (0, "would change: MX example.org."),
            "dns lower-ttl": (0, "journal entry 1"),
            "gate example.org --wait": (0, "gate: PASSED"),
            "dns gate": (1, "gate: CLOSED"),
            "dns cutover": (
                0,
                "changed: MX example.org.: 1 [10 mx.old-provider.example.org.] -> 1 [10 mx.new.example.org.]",
            ),
            "dns verify": (0, "everyone sees the new records"),
            "dns journal": (0, "applied"),
            "raise-ttl": (0, "changed: MX example.org.: 1 [10 mx.new.example.org.] -> 15"),
            "rollback example.org --dry-run": (0, "would undo (raise-ttl"),
            "dns rollback": (0, "undid (lower-ttl, journal entry 1)"),
        }
        for step in steps:
            if step.endswith("dns lower-ttl example.org"):
                zone.prime_resolver()  # a resolver out there has the MX cached: the first gate must wait for it
            code, output = run_on_pty([sys.executable, "-m", "mailvault", *shlex.split(step)[1:]], {}, env=env)
            if local_ws.watch is not None:
                local_ws.watch.outputs.append(output)
            want_code, phrase = next(v for k, v in expect.items() if k in step)
            assert code == want_code and phrase in output, f"{step} (exit {code}):\n{output}"
        assert zone.zone_state() == original, "the runbook's rollback left the zone changed"


def test_provider_migration_runbook(local_ws: Workspace, tmp_path: Path) -> None:
    import json

    from mailvault.demo.imap_servers import message, old_provider, seed, this_host
    from tests.e2e.accounts_file import write_accounts
    from tests.e2e.raw_imap import imap
    from tests.e2e.test_dns import served_zone
    from tests.e2e.test_migrate import NEW_USERS, USERS

    steps = commands(RUNBOOKS / "provider-migration.md")
    assert len(steps) == 15, steps
    user = "alice@example.com"
    local_ws.generate()
    old = old_provider(tmp_path / "old", USERS)
    new = this_host(tmp_path / "new", NEW_USERS)
    try:
        seed(old, user)
        accounts = tmp_path / "accounts.toml"
        old_pw, new_pw = local_ws.write_secret("o", USERS[user]), local_ws.write_secret("n", NEW_USERS[user])
        write_accounts(accounts, old.port, new.port, user, old_pw, new_pw)
        with served_zone(local_ws, tmp_path / "dns", "example.com") as zone:
            original = zone.zone_state()
            env = {**os.environ, "MAILVAULT_CONFIG": str(local_ws.config_path), "COLUMNS": "200"}
            expect = {  # (exit code, a phrase of the output); first match wins
                "migrate plan": (0, "engine"),
                "run /etc/mailvault/migrate/accounts.toml --dry-run": (0, "would copy"),
                "migrate run": (0, "verify alice@example.com -> alice@example.com: verified"),
                "migrate sync": (0, "new message"),
                "dns inspect": (0, "no inconsistencies found"),
                "dns plan": (0, "cutover changes: MX example.com."),
                "dns lower-ttl": (0, "journal entry 1"),
                "dns gate": (0, "gate: PASSED"),
                "migrate cutover": (0, "every resolver in the panel sees the new MX"),
                "migrate verify": (0, "verified"),
                "dns verify": (0, "everyone sees the new records"),
                "dns raise-ttl": (0, "changed: MX example.com."),
                "rollback /etc/mailvault/migrate/accounts.toml --domain example.com --plan": (0, "would copy back 1"),
                "migrate rollback": (0, "copied back 1 message\r\n"),
            }
            for step in steps:
                if "dns lower-ttl" in step:
                    zone.prime_resolver()
                if "migrate rollback" in step and "--plan" in step:
                    client = imap(new, user)  # mail reached the new server after the cutover
                    client.append("INBOX", message(990, subject="after the cutover"))
                    client.logout()
                args = shlex.split(step.replace("/etc/mailvault/migrate/accounts.toml", str(accounts)))[1:]
                code, output = run_on_pty([sys.executable, "-m", "mailvault", *args], {}, env=env)
                if local_ws.watch is not None:
                    local_ws.watch.outputs.append(output)
                want_code, phrase = next(v for k, v in expect.items() if k in step)
                assert code == want_code and phrase in output, f"{step} (exit {code}):\n{output}"
            assert zone.zone_state() == original, "the rollback left the zone changed"
            verify = json.loads(local_ws.cli("migrate", "verify", str(accounts), "--json", check=False).stdout)
            assert verify["ok"], "after the rollback both servers hold the same mail"
    finally:
        old.stop()
        new.stop()


def test_fleet_runbook(ws: Workspace) -> None:
    steps = commands(RUNBOOKS / "fleet.md")
    assert len(steps) == 4, steps
    key, www = ws.root / "fleet.key", ws.root / "www"
    subst = {"/etc/mailvault/fleet.key": str(key), "/var/www/fleet": str(www)}
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    ws.generate()
    ws.cli("init")
    first = run_steps(ws, steps[:1], subst=subst, env=env)[0]
    recipient = next(word for word in first.split() if word.startswith("mvfleet1:"))
    ws.write_config(extra=f'[fleet]\nrecipient = "{recipient}"\nhost = "runbook-host"\n')
    outputs = run_steps(ws, steps[1:2], subst=subst, env=env)
    for step in steps[2:]:  # (exit 1 or 2 is the fleet's level: this host has no drill yet, so WARN)
        text = step
        for old, new in subst.items():
            text = text.replace(old, new)
        proc = ws.cli(*shlex.split(text)[1:], check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        outputs.append(proc.stdout)
    assert (
        "FLEET WARN - 1 hosts" in outputs[1] and "runbook-host" in outputs[1] and "no restore drill yet" in outputs[1]
    )
    assert '"host": "runbook-host"' in outputs[2] and (www / "index.html").exists()


def test_first_backup_runbook(host: Workspace) -> None:
    """On a terminal, as a person would: setup asks where the backups go, the S3 keys and the kit
    passphrase; the rest of the runbook reads what it made."""
    ws = host
    assert ws.identity is not None
    steps = commands(RUNBOOKS / "first-backup.md")
    assert len(steps) == 8, steps
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    answers = {
        "or a local directory:": ws.url,
        "The S3 access key id:": ws.identity.access_key,
        "The S3 secret access key:": ws.identity.secret_key,
        "Kit passphrase:": PASSPHRASE,
        "The same passphrase again:": PASSPHRASE,
        "(systemd timers)? [y/N]:": "n",
    }
    outputs = []
    for step in steps:
        args = shlex.split(step)[1:]
        if args[0] == "setup":
            args += host_flags(ws)
            if len(args) == len(host_flags(ws)) + 1:  # setup itself: where the fixture keeps its state
                args += ["--state-dir", str(ws.state), "--runtime", "local"]
        code, output = run_on_pty([sys.executable, "-m", "mailvault", *args], answers, env=env, timeout=600)
        if ws.watch is not None:
            ws.watch.outputs.append(output)
        assert code == 0 and "Traceback" not in output, f"{step}: exit {code}\n{output}"
        outputs.append(output)
    detect, setup, show, schedule, snapshots, check, _prune, drift = outputs
    assert "backup" in schedule and "schedule: not installed" in setup, schedule
    assert "doveconf -h mail_location" in detect and "KeyTable" in detect
    assert "restore-test  done: pass: 4 mailboxes" in setup and "kit export    done" in setup, setup
    assert ws.identity.secret_key not in setup + show and PASSPHRASE not in setup
    assert str(ws.vmail) in show and "check passed" in check
    assert re.search(r"│ 4 +│ 80 +│ .* │ complete │", snapshots), snapshots  # mailboxes, messages, state
    assert "no drift" in drift


def test_backup_failed_runbook(ws: Workspace) -> None:
    """A backup fails the way the runbook quotes (the store not mounted); its steps show it, and
    once the store is back, back up and check."""
    steps = commands(RUNBOOKS / "backup-failed.md")
    assert steps == ["mailvault history --kind backup", "mailvault backup", "mailvault check"], steps
    mail_host(ws)
    ws.vmail.rename(ws.root / "vmail-unmounted")
    failed = ws.cli("backup", check=False)
    quoted = (RUNBOOKS / "backup-failed.md").read_text()
    assert failed.returncode == 1 and f"maildir root {ws.vmail} does not exist" in failed.stderr, failed.stderr
    assert "`maildir root … does not exist`" in quoted  # the runbook quotes what the operator sees
    (ws.root / "vmail-unmounted").rename(ws.vmail)
    env = {**os.environ, "MAILVAULT_CONFIG": str(ws.config_path)}
    history, backup, check = run_steps(ws, steps, subst={}, env=env)
    cells = " ".join(re.sub(r"\x1b\[[0-9;]*m|[│┃]", " ", history).split())  # (a cell wraps where the path ends)
    assert "failed" in history and "does not exist" in cells, history
    assert "backup" in backup and "check passed" in check
