"""Delivering events: healthchecks-style ping URLs, a JSON webhook, and mail to the postmaster.

An alert is sent at once; one that cannot be delivered is logged, kept in the state DB's outbox and
retried later (the next job, the scheduler's minute tick, `mailvault alerts flush`), for
``alerts.retry_for``. Delivering never raises: a dead alert target never fails a good backup.
Ping URLs are capabilities (whoever knows one can report a job as done), so logs name only their host.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from mailvault.config.jobs import DUTIES
from mailvault.config.schema import AlertsSection, EmailSection
from mailvault.errors import MailvaultError
from mailvault.keys.secrets import SecretSource, resolve
from mailvault.monitor.events import Event
from mailvault.state.db import StateDB
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class DeliveryError(MailvaultError):
    """An alert target did not take the alert."""


@dataclass(frozen=True)
class Target:
    name: str  # ping | webhook | email: the outbox records this, never the URL or the password
    where: str  # for logs: a host, never a full ping URL
    send: Callable[[Event], None]


def targets(alerts: AlertsSection, event: Event) -> list[Target]:
    """The targets that want ``event``."""
    found: list[Target] = []
    ping_url = alerts.ping.url_for(event.job) if alerts.ping is not None else None
    if ping_url and alerts.ping is not None and event.kind in ("start", "success", "failure", "drill_failure"):
        suffix = {"start": "/start", "success": ""}.get(event.kind, "/fail")
        found.append(Target("ping", _host(ping_url), _text_poster(ping_url.rstrip("/") + suffix, alerts.ping.timeout)))
    hook = alerts.webhook
    if hook is not None and event.kind in hook.events:
        found.append(Target("webhook", _host(hook.url), lambda e: _post(
            hook.url, json.dumps(e.as_dict()).encode(), "application/json", hook.timeout
        )))  # fmt: skip
    mail = alerts.email
    if mail is not None and event.kind in mail.events:
        found.append(Target("email", f"{mail.host}:{mail.port}", lambda e: send_mail(mail, e)))
    return found


def deliver_each(alerts: AlertsSection, event: Event) -> list[tuple[str, bool, str | None]]:
    """Send ``event`` to every configured target, whatever events it takes (`alerts test`); ping URLs get
    it at their ``/log`` endpoint, which records it without changing the check's state.
    Return (target, delivered, error) for each."""
    found: list[Target] = []
    if alerts.ping is not None:
        for job in DUTIES:
            url = alerts.ping.url_for(job)
            if url:
                log = url.rstrip("/") + "/log"
                found.append(Target(f"ping ({job})", _host(url), _text_poster(log, alerts.ping.timeout)))
    wide = alerts.model_copy(update={"ping": None})
    if wide.webhook is not None:
        wide = wide.model_copy(update={"webhook": wide.webhook.model_copy(update={"events": [event.kind]})})
    if wide.email is not None:
        wide = wide.model_copy(update={"email": wide.email.model_copy(update={"events": [event.kind]})})
    found += targets(wide, event)
    results: list[tuple[str, bool, str | None]] = []
    for target in found:
        try:
            target.send(event)
            results.append((f"{target.name} {target.where}", True, None))
        except Exception as exc:
            results.append((f"{target.name} {target.where}", False, _why(exc)))
    return results


def notify(alerts: AlertsSection, state_dir: Path, event: Event) -> int:
    """Deliver ``event`` to every target that wants it, then retry what earlier runs could not
    deliver (the outbox is in ``state_dir``). Return how many deliveries failed (they are queued).
    Never raises."""
    failed = 0
    db = _db(state_dir)
    for target in targets(alerts, event):
        try:
            target.send(event)
            logger.debug("alert %s delivered by %s to %s", event.kind, target.name, target.where)
        except Exception as exc:
            failed += 1
            logger.warning(
                "could not deliver the %s alert by %s to %s (%s); it will be retried",
                event.kind, target.name, target.where, _why(exc),
            )  # fmt: skip
            if db is not None:
                db.outbox_add(target.name, json.dumps(event.as_dict()), _why(exc))
    if event.kind != "start":
        flush(alerts, state_dir)
    return failed


def flush(
    alerts: AlertsSection, state_dir: Path, now: datetime | None = None, *, everything: bool = False
) -> tuple[int, int]:
    """Retry the queued alerts that are due (``everything``: all of them, now); return (delivered,
    still queued). Never raises."""
    db = _db(state_dir)
    if db is None:
        return 0, 0
    now = now or datetime.now(UTC)
    delivered = 0
    due = (now + timedelta(days=3650)) if everything else now
    for entry in db.outbox_due(due.isoformat(timespec="seconds")):
        event = Event.from_dict(json.loads(entry.payload))
        target = next((t for t in targets(alerts, event) if t.name == entry.target), None)
        first = datetime.fromisoformat(entry.first_try)
        if target is None or now - first > alerts.retry_for:
            logger.error(
                "gave up on the %s alert of %s by %s after %d attempts (last error: %s)",
                event.kind, event.time, entry.target, entry.attempts, entry.last_error,
            )  # fmt: skip
            db.outbox_drop(entry.id)
            continue
        try:
            target.send(event)
        except Exception as exc:
            wait = timedelta(minutes=min(60, 2**entry.attempts))
            db.outbox_retry_later(entry.id, (now + wait).isoformat(timespec="seconds"), _why(exc))
            continue
        delivered += 1
        db.outbox_drop(entry.id)
        logger.info("delivered the queued %s alert of %s by %s", event.kind, event.time, entry.target)
    return delivered, db.outbox_count()


def _db(state_dir: Path) -> StateDB | None:
    paths = StatePaths(state_dir)
    return StateDB(paths.db) if paths.root.is_dir() else None


def _why(exc: BaseException) -> str:
    if isinstance(exc, MailvaultError):
        return exc.one_line()
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc or "?"


def _text_poster(url: str, timeout: float) -> Callable[[Event], None]:
    return lambda event: _post(url, event.text().encode(), "text/plain", timeout)


def _post(url: str, body: bytes, content_type: str, timeout: float) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": content_type, "User-Agent": "mailvault",
    })  # fmt: skip
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def send_mail(mail: EmailSection, event: Event) -> None:
    """One message to ``mail.to`` over SMTP: STARTTLS when asked (or offered, in `auto`), auth when set."""
    message = EmailMessage()
    message["Subject"] = event.title
    message["From"] = mail.sender or f"mailvault@{event.host}"
    message["To"] = ", ".join(mail.to)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(event.text())
    context = _tls_context(mail)
    smtp: smtplib.SMTP
    if mail.tls == "implicit":
        smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout, context=context)
    else:
        smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
    with smtp:
        smtp.ehlo()
        if mail.tls == "starttls" or (mail.tls == "auto" and smtp.has_extn("starttls")):
            smtp.starttls(context=context)
            smtp.ehlo()
        if mail.username:
            password = resolve(SecretSource.from_section(mail, "password", "alerts.email.password"))
            smtp.login(mail.username, password)
        smtp.send_message(message)


def _tls_context(mail: EmailSection) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(mail.ca_file) if mail.ca_file else None)
    if mail.tls == "auto" and mail.host in LOOPBACK and mail.ca_file is None:
        # the local MTA's own certificate (often snakeoil) on a connection that never leaves the host
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
