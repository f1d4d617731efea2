"""Alerts end to end: real jobs against SeaweedFS; a real SMTP server (aiosmtpd, STARTTLS and AUTH)
and a real HTTP server for the ping URLs and the webhook."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.alert_sinks import HttpSink, SmtpSink
from tests.e2e.workspace import Workspace


@pytest.fixture
def http() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def smtp(tmp_path: Path, ws: Workspace) -> Iterator[SmtpSink]:
    password = "smtp-" + "s3cr3t-" * 3
    ws.write_secret("smtp.pass", password)
    with SmtpSink(tmp_path, password=password) as sink:
        yield sink


def alerting(ws: Workspace, http: HttpSink, smtp: SmtpSink | None = None, extra: str = "") -> None:
    text = (
        f'[alerts.ping]\nbackup = "{http.url}/ping/backup-uuid"\nrestore_test = "{http.url}/ping/drill-uuid"\n'
        f'[alerts.webhook]\nurl = "{http.url}/hook"\n'
    )
    if smtp is not None:
        text += (
            f'[alerts.email]\nto = ["postmaster@example.org"]\nsender = "mailvault@mx.example.org"\n'
            f'host = "127.0.0.1"\nport = {smtp.port}\ntls = "starttls"\nca_file = "{smtp.cert}"\n'
            f'username = "mailvault"\npassword_file = "{ws.secrets / "smtp.pass"}"\n'
        )
    ws.write_config(extra=text + extra)


def hooks(http: HttpSink) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(r.body) for r in http.requests if r.path == "/hook"]


def test_a_good_backup_pings_start_and_success_and_mails_nobody(ws: Workspace, http: HttpSink, smtp: SmtpSink) -> None:
    ws.generate()
    alerting(ws, http, smtp)
    ws.cli("init")
    ws.cli("backup")
    assert http.paths() == ["/ping/backup-uuid/start", "/ping/backup-uuid"]
    assert b"succeeded" in http.requests[1].body and b"snapshot " in http.requests[1].body
    assert smtp.received == [] and hooks(http) == []


def test_a_failed_backup_pings_fail_posts_the_webhook_and_mails_the_postmaster(
    ws: Workspace, http: HttpSink, smtp: SmtpSink
) -> None:
    ws.generate()
    alerting(ws, http, smtp)
    ws.cli("init")
    ws.write_secret("repository.key", "a-wrong-password-" + "y" * 8)
    proc = ws.cli("backup", check=False)
    assert proc.returncode != 0
    assert http.paths()[:2] == ["/ping/backup-uuid/start", "/ping/backup-uuid/fail"]
    fail_body = http.requests[1].body.decode()
    assert "backup FAILED" in fail_body and "password" in fail_body and "First step: mailvault history" in fail_body
    (failure, breach) = hooks(http)  # no good backup yet: the RPO is breached too
    assert failure["kind"] == "failure" and failure["job"] == "backup" and "password" in failure["summary"]
    assert breach["kind"] == "rpo_breach" and "no good backup yet" in breach["summary"]
    assert [m.recipients for m in smtp.received] == [["postmaster@example.org"], ["postmaster@example.org"]]
    mail = smtp.received[0]
    assert mail.tls and mail.login == "mailvault", "STARTTLS, then AUTH"
    assert "backup FAILED" in mail.message["Subject"] and mail.message["Auto-Submitted"] == "auto-generated"
    assert "First step: mailvault history --kind backup" in mail.message.get_payload()  # type: ignore[operator]


def test_an_undeliverable_alert_is_queued_retried_and_never_fails_the_job(ws: Workspace, http: HttpSink) -> None:
    ws.generate()
    alerting(ws, http)
    ws.cli("init")
    http.status = 500  # the ping server is broken
    proc = ws.cli("backup")  # ...the backup still succeeds
    assert proc.returncode == 0 and "could not deliver the success alert by ping" in proc.stderr
    assert "backup-uuid" not in proc.stderr, "a ping URL is a capability: logs name only its host"
    db = sqlite3.connect(ws.state / "state.db")
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 2  # start and success

    http.status = 200
    flushed = ws.cli_json("alerts", "flush")
    assert flushed == {"ok": True, "delivered": 2, "queued": 0}
    assert http.paths()[-2:] == ["/ping/backup-uuid/start", "/ping/backup-uuid"]


def test_alerts_test_reaches_every_target(ws: Workspace, http: HttpSink, smtp: SmtpSink) -> None:
    ws.generate()
    alerting(ws, http, smtp)
    report = ws.cli_json("alerts", "test")
    assert report["ok"] and len(report["targets"]) == 4  # two ping URLs, the webhook, mail
    assert "/ping/backup-uuid/log" in http.paths() and "/hook" in http.paths()
    assert len(smtp.received) == 1 and "nothing is wrong" in smtp.received[0].message.get_payload()  # type: ignore[operator]


def test_a_failed_drill_is_a_drill_failure_alert(ws: Workspace, http: HttpSink) -> None:
    ws.generate()
    alerting(ws, http)
    ws.cli("init")
    ws.cli("backup")
    ws.write_secret("repository.key", "not-the-password-" + "z" * 8)
    proc = ws.cli("restore-test", "--runtime", "local", "--json", check=False)
    assert proc.returncode == 1
    assert http.paths()[-2:] == ["/ping/drill-uuid/fail", "/hook"]
    assert hooks(http)[-1]["kind"] == "drill_failure" and "password" in hooks(http)[-1]["summary"]
