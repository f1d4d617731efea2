"""The drill's mail-flow canary: can the restored server receive mail?

In the drill's place, the restored Postfix config is started with no way out (``canary_conf.py``),
a canary message is submitted to it over SMTP for a restored mailbox, Postfix delivers it by LMTP
into the drill's Dovecot, and the drill reads it back over IMAP. A message for an address outside
the restored domains is submitted too, and must be refused. The time from the drill's start to the
canary being readable is the second RTO: when mail flows again.
"""

from __future__ import annotations

import email.utils
import secrets
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mailvault import netprobe
from mailvault.drill import canary_conf
from mailvault.drill.judge import Finding
from mailvault.drill.place import Place
from mailvault.errors import CommandFailed, ImapError, MailvaultError
from mailvault.imap.connect import connect, login
from mailvault.mail.restore_plan import restored
from mailvault.state.paths import write_atomic

PREPARE = (  # "$1" restored config dir, "$2" the canary's config dir, "$3" its run dir; then overrides
    'src="$1"; etc="$2"; run="$3"; shift 3; mkdir -p "$etc" "$run/queue" "$run/data"'
    ' && cp -a "$src/." "$etc/" && cp "$run/master.cf" "$etc/master.cf" && postconf -c "$etc" -e "$@"'
    ' && chown postfix "$run/data" && postfix -c "$etc" check'
)
SETTINGS = 'postconf -c "$1" -n'  # the restored settings, unexpanded
EXISTS = 'for p in "$@"; do if [ -e "$p" ]; then echo "$p"; fi; done'  # of the place's own files
WAIT = 60.0  # seconds for the canary to arrive


@dataclass
class CanaryResult:
    config: str = ""  # the restored Postfix config dir (as backed up)
    recipient: str = ""
    message_id: str = ""
    arrived_s: float | None = None  # drill start -> the canary readable over IMAP: the second RTO
    outbound_refused: str = ""  # the restored Postfix's answer to a message for outside
    missing: list[str] = field(default_factory=list)  # files the restored config names that are not there
    dkim: str = ""  # how its DKIM signature was checked (the finding's words), "" when it was not signed
    findings: list[Finding] = field(default_factory=list)
    message: bytes = b""  # the canary as read back over IMAP

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("findings", "message")}


@dataclass(frozen=True)
class Signer:
    """Signs the canary: the sender's domain (d=) and the signing function."""

    domain: str
    sign: Callable[[bytes], bytes]


@dataclass(frozen=True)
class Ports:
    smtp: int
    lmtp: int
    imap: int


def restored_postfix(root: Path, snapshot_paths: Sequence[str]) -> str | None:
    """The snapshot path of the first backed-up directory that holds a Postfix ``main.cf``."""
    return next((p for p in snapshot_paths if (restored(root, p) / "main.cf").is_file()), None)


def run_canary(
    place: Place,
    work: Path,
    config_dir: str,
    recipient: str,
    ports: Ports,
    password: str,
    t0: float,
    sign: Signer | None = None,
) -> CanaryResult:
    """Start the restored Postfix, send the canary (signed by ``sign``, which also names the sender's
    domain), read it back; every failure is a finding."""
    result = CanaryResult(config=config_dir, recipient=recipient)
    try:
        _start(place, work, config_dir, ports, result)
        result.message_id = _submit(ports.smtp, recipient, result, sign)
        result.arrived_s, result.message = _read_back(ports.imap, recipient, password, result.message_id, t0, work)
    except MailvaultError as exc:
        result.findings.append(Finding("fail", "canary", exc.one_line()))
    return result


def _start(place: Place, work: Path, config_dir: str, ports: Ports, result: CanaryResult) -> None:
    run = f"{place.run_dir}/postfix"
    (work / "run" / "postfix").mkdir(exist_ok=True)
    write_atomic(work / "run" / "postfix" / "master.cf", canary_conf.master_cf(ports.smtp))
    source = place.restore_root + config_dir
    try:
        shown = place.exec(["sh", "-c", SETTINGS, "settings", source], what="reading the restored Postfix config")
    except CommandFailed as exc:
        raise MailvaultError(f"the restored Postfix config in {config_dir} cannot be read: {_why(exc)}") from exc
    rewrites = _rewrites(place, work, canary_conf.parse_postconf(shown.stdout), result)
    options = canary_conf.overrides(smtp_port=ports.smtp, lmtp_port=ports.lmtp, run_dir=run)
    try:
        place.exec(["sh", "-c", PREPARE, "prepare", source, f"{run}/etc", run, *options, *rewrites],
                   what="preparing the restored Postfix")  # fmt: skip
    except CommandFailed as exc:
        raise MailvaultError(f"the restored Postfix config in {config_dir} does not start: {_why(exc)}") from exc
    place.start_postfix(f"{run}/etc")
    if not netprobe.wait_listening(ports.smtp, timeout=30):
        raise MailvaultError(f"the restored Postfix did not listen on 127.0.0.1:{ports.smtp}: {_log_tail(work)}")


def _rewrites(place: Place, work: Path, settings: dict[str, str], result: CanaryResult) -> list[str]:
    """The settings naming restored files, pointed at the restored copies; what is neither restored
    nor a file of the place itself is missing (a warning each)."""
    named = canary_conf.paths_in(settings)
    every = {p for paths in named.values() for p in paths}
    kept = {p for p in every if restored(work / "restore", p).exists()}
    present = set()
    if every - kept:
        done = place.exec(
            ["sh", "-c", EXISTS, "exists", *sorted(every - kept)], what="looking for files the config names"
        )
        present = set(done.stdout.split())
    rewrites = []
    for name, paths in named.items():
        for path in paths:
            if path not in kept and path not in present:
                result.missing.append(path)
                result.findings.append(Finding("warn", "canary", (
                    f"the restored Postfix config ({name}) names {path}, which is not in the snapshot"
                )))  # fmt: skip
        value = canary_conf.rewritten(settings[name], kept, place.restore_root)
        if value != settings[name]:
            rewrites.append(f"{name}={value}")
    return rewrites


def _submit(port: int, recipient: str, result: CanaryResult, sign: Signer | None) -> str:
    """Send the canary (its Message-ID returned) and a message for outside, which must be refused."""
    domain = sign.domain if sign else recipient.rpartition("@")[2] or "drill.invalid"
    message_id = f"<mailvault-canary-{secrets.token_hex(8)}@drill.invalid>"
    body = (
        f"From: mailvault restore drill <mailvault-drill@{domain}>\r\nTo: <{recipient}>\r\n"
        f"Subject: mailvault restore drill canary\r\nDate: {email.utils.formatdate()}\r\n"
        f"Message-ID: {message_id}\r\n\r\nThis message proves the restored server receives mail.\r\n"
    )
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            data = sign.sign(body.encode()) if sign else body.encode()
            smtp.sendmail(f"mailvault-drill@{domain}", [recipient], data)
            try:
                smtp.sendmail(f"mailvault-drill@{domain}", ["canary@outside.invalid"], b"Subject: out\r\n\r\nx\r\n")
                result.findings.append(Finding("fail", "canary", (
                    "the restored Postfix accepted a message for outside the restored domains: it could leave"
                )))  # fmt: skip
            except smtplib.SMTPRecipientsRefused as refused:
                code, text = refused.recipients["canary@outside.invalid"]
                result.outbound_refused = f"{code} {text.decode(errors='replace')}"
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = exc.recipients[recipient]
        raise MailvaultError(f"the restored Postfix refused the canary for {recipient}: {code} {text!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailvaultError(f"the canary could not be submitted to the restored Postfix: {exc}") from exc
    return message_id


def _read_back(port: int, user: str, password: str, message_id: str, t0: float, work: Path) -> tuple[float, bytes]:
    """Poll ``user``'s INBOX until the canary is there; the seconds since ``t0``, and the canary."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            client = connect("127.0.0.1", port, tls="none", timeout=30)
            try:
                login(client, user, password, where="the drill's Dovecot")
                client.select("INBOX", readonly=True)
                found = client.search(["HEADER", "Message-ID", message_id])
                if found:
                    took = round(time.monotonic() - t0, 3)
                    fetched = client.fetch(found[:1], ["BODY.PEEK[]"]).get(found[0], {})
                    return took, bytes(fetched.get(b"BODY[]", b""))
            finally:
                client.logout()
        except ImapError:
            pass
        time.sleep(0.5)
    raise MailvaultError(f"the canary never reached {user}'s INBOX within {WAIT:.0f} s: {_log_tail(work)}")


def _log_tail(work: Path) -> str:
    log = work / "run" / "postfix" / "maillog"
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    telling = [line for line in lines if "status=" in line or "fatal" in line or "error" in line] or lines
    return telling[-1].split(": ", 1)[-1] if telling else "Postfix logged nothing"


def _why(exc: CommandFailed) -> str:
    return exc.stderr_tail[-1] if exc.stderr_tail else f"exit {exc.returncode}"
