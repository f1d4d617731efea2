"""The config schema: the single source of truth for keys, defaults, descriptions and examples.

Every field carries a ``description`` and ``examples``; ``config init`` writes the
commented sample from them and ``config validate`` reports against them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
    model_validator,
)

from mailvault.config.durations import format_duration, parse_duration
from mailvault.config.where import (
    DEFAULT_CONFIG_PATH,  # noqa: F401  (its home before where.py)
    default_state_dir,
)
from mailvault.storage.location import s3_url_problem


def _to_duration(value: Any, *, zero: bool) -> timedelta:
    """A duration written as a string (``"26h"``); a timedelta passes (Python callers). A bare number
    is refused, not read as seconds: ``rpo = 26`` meant 26 hours to whoever wrote it."""
    if isinstance(value, timedelta):
        parsed = value
    elif isinstance(value, str):
        parsed = parse_duration(value)
    else:
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        raise ValueError(f'{shown} is not a duration; write it in quotes like "26h", "90m", "7d" or "1h30m"')
    if parsed < timedelta(0) or (parsed == timedelta(0) and not zero):
        raise ValueError(f'"{value}" is no time at all; write a positive duration like "26h", "90m" or "7d"')
    return parsed


_SERIALIZE = PlainSerializer(format_duration, return_type=str)
Duration = Annotated[timedelta, BeforeValidator(lambda v: _to_duration(v, zero=False)), _SERIALIZE]
"""A positive duration, written as a string: ``"26h"``, ``"90m"``, ``"7d"``, ``"1h30m"``."""
DurationOrZero = Annotated[timedelta, BeforeValidator(lambda v: _to_duration(v, zero=True)), _SERIALIZE]
"""The same, where ``"0s"`` means none (a jitter, a margin)."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_source(model: BaseModel, stem: str, *, required: bool) -> None:
    """Check that at most one (or, when required, exactly one) source of the secret ``stem`` is set."""
    names = [f"{stem}_file", f"{stem}_command", f"{stem}_env", f"{stem}_credential", stem]
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) > 1:
        raise ValueError(f"give only one of {', '.join(given)}")
    if required and not given:
        raise ValueError(f"set one of {stem}_file, {stem}_command, {stem}_env or {stem}_credential")


class S3KeysSection(Section):
    """One pair of S3 credentials: an access key id and its secret, each from one source."""

    access_key_id_file: Path | None = Field(
        None, description="File holding the S3 access key id.", examples=["/etc/mailvault/s3-access-key-id"]
    )
    access_key_id_command: str | None = Field(
        None, description="Command whose output is the S3 access key id.", examples=["pass show mail/s3-id"]
    )
    access_key_id_env: str | None = Field(
        None, description="Environment variable holding the S3 access key id.", examples=["AWS_ACCESS_KEY_ID"]
    )
    access_key_id_credential: str | None = Field(
        None,
        description="systemd credential (LoadCredential=) holding the S3 access key id.",
        examples=["s3-access-key-id"],
    )
    access_key_id: SecretStr | None = Field(
        None,
        description="The access key id inline (only in a config file of mode 0600).",
        examples=["AKIAEXAMPLE"],
    )
    secret_access_key_file: Path | None = Field(
        None,
        description="File holding the S3 secret access key.",
        examples=["/etc/mailvault/s3-secret-access-key"],
    )
    secret_access_key_command: str | None = Field(
        None, description="Command whose output is the S3 secret access key.", examples=["pass show mail/s3"]
    )
    secret_access_key_env: str | None = Field(
        None,
        description="Environment variable holding the S3 secret access key.",
        examples=["AWS_SECRET_ACCESS_KEY"],
    )
    secret_access_key_credential: str | None = Field(
        None,
        description="systemd credential (LoadCredential=) holding the S3 secret access key.",
        examples=["s3-secret-access-key"],
    )
    secret_access_key: SecretStr | None = Field(
        None,
        description="The secret access key inline (only in a config file of mode 0600).",
        examples=["wJalrEXAMPLEKEY"],
    )

    @model_validator(mode="after")
    def _sources(self) -> S3KeysSection:
        _one_source(self, "access_key_id", required=True)
        _one_source(self, "secret_access_key", required=True)
        return self


class S3Section(S3KeysSection):
    """Credentials and options for an S3-compatible repository."""

    region: str = Field("us-east-1", description="S3 region name.", examples=["us-east-1"])
    create_bucket: bool = Field(
        True, description="Let `mailvault init` create the bucket when it is missing.", examples=[True]
    )
    connect_timeout: int = Field(
        10, ge=1, le=25, description="Seconds to wait for the S3 endpoint before giving up.", examples=[10]
    )
    prune: S3KeysSection | None = Field(
        None,
        description=(
            "Separate credentials with delete rights, used only by prune and key removal; the ones above"
            " then need no right to delete (see docs/storage-policies.md)."
        ),
        json_schema_extra={"sample": "commented"},
    )


class RepositorySection(Section):
    """Where snapshots go and how the repository is opened."""

    url: str = Field(
        description="restic repository: an s3: URL or a local path.",
        examples=["s3:http://127.0.0.1:8333/mailvault/mail1", "/var/backups/mailvault"],
    )
    password_file: Path | None = Field(
        None,
        description="File holding the repository password; `mailvault init` generates it when missing.",
        examples=["/etc/mailvault/repository.key"],
    )
    password_command: str | None = Field(
        None, description="Command that prints the repository password.", examples=["pass show mail/restic"]
    )
    password_env: str | None = Field(
        None, description="Environment variable holding the repository password.", examples=["MAILVAULT_PASSWORD"]
    )
    password_credential: str | None = Field(
        None,
        description="systemd credential (LoadCredential=) holding the repository password.",
        examples=["repository-key"],
    )
    password: SecretStr | None = Field(
        None,
        description="The repository password inline (only in a config file of mode 0600).",
        examples=["correct-horse-battery-staple"],
    )
    compression: Literal["auto", "max", "off"] = Field(
        "auto", description="restic compression level (repository format 2).", examples=["auto"]
    )
    restore_processes: int = Field(
        4,
        ge=1,
        le=32,
        description="restic processes restoring side by side, each a share of the mailboxes, in `restore`"
        " and the drill (a restore of many small files waits more than it computes; 1: one process).",
        examples=[4],
    )
    s3: S3Section | None = Field(None, description="S3 credentials; required for an s3: URL.")

    @model_validator(mode="after")
    def _checks(self) -> RepositorySection:
        _one_source(self, "password", required=True)
        if self.url.startswith("s3:") and self.s3 is None:
            raise ValueError("an s3: url needs a [repository.s3] section with credentials")
        return self

    @field_validator("url")
    @classmethod
    def _s3_url(cls, url: str) -> str:
        problem = s3_url_problem(url) if url.startswith("s3:") else None
        if problem is not None:
            raise ValueError(problem)
        return url

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3:")


DOVECOT_LAYOUT = "dovecot"  # sources.layout: the mailboxes as Dovecot lists them
Runtime = Literal["auto", "docker", "podman", "local"]  # drill.runtime: where a drill restores


class SourcesSection(Section):
    """What is backed up."""

    maildirs: list[Path] = Field(
        description="Roots of the mail store; every mailbox below them is backed up.",
        examples=[["/var/vmail"]],
        min_length=1,
    )
    layout: str = Field(
        "%d/%n/Maildir",
        description="Path of one maildir below a root: %d domain, %n user; or `dovecot`: every user's maildir"
        " as Dovecot itself says (`doveadm mailbox path -A INBOX`), for layouts no pattern describes (hashed"
        " homes); Dovecot must be running.",
        examples=["%d/%n/Maildir", "%n/Maildir", "dovecot"],
    )
    dovecot_config: Path | None = Field(
        None,
        description="With layout = dovecot: the Dovecot config doveadm reads (default: Dovecot's own).",
        examples=["/etc/dovecot/dovecot.conf"],
        json_schema_extra={"sample": "commented"},
    )
    folder_layout: Literal["maildir++", "fs"] = Field(
        "maildir++",
        description="How folders sit inside a maildir: Dovecot's default maildir++ (.Sent) or LAYOUT=fs (Sent/).",
        examples=["maildir++"],
    )
    config: list[Path] = Field(
        default_factory=list,
        description="Mail-server configuration directories.",
        examples=[["/etc/postfix", "/etc/dovecot"]],
    )
    keys: list[Path] = Field(
        default_factory=list,
        description="Key material (DKIM, TLS).",
        examples=[["/etc/opendkim/keys", "/etc/ssl/mail"]],
    )
    exclude_dovecot_files: bool = Field(
        True,
        description="Leave out Dovecot's index and cache files (rebuilt on demand) and every maildir's tmp/ "
        "(deliveries in progress); dovecot-uidlist and dovecot-keywords are always kept.",
        examples=[True],
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="More restic exclude patterns.",
        examples=[["*.bak"]],
    )
    snapshot: Literal["none", "btrfs"] = Field(
        "none",
        description="Back up the maildirs from a read-only filesystem snapshot taken just before the scan, so "
        "the snapshot holds exactly what was scanned. btrfs: each maildir root must lie in a btrfs subvolume; "
        "the snapshot is made as .mailvault-snapshot in it and removed afterwards (a killed run's is removed by "
        "the next). LVM and ZFS: see runbooks/backup-snapshots.md.",
        examples=["btrfs"],
    )

    @model_validator(mode="after")
    def _layout(self) -> SourcesSection:
        if self.layout == DOVECOT_LAYOUT:
            return self
        if "%n" not in self.layout:
            raise ValueError("layout must contain %n (the user), e.g. %d/%n/Maildir, or be dovecot")
        if self.layout.startswith("/"):
            raise ValueError("layout is relative to each maildir root; drop the leading /")
        return self


class StateSection(Section):
    dir: Path = Field(
        default_factory=default_state_dir,
        description="Run history, manifests, cursors and locks (default: $STATE_DIRECTORY, which systemd sets"
        " for a unit with StateDirectory=, else /var/lib/mailvault).",
        examples=["/var/lib/mailvault"],
    )


class TargetsSection(Section):
    rpo: Duration = Field(
        timedelta(hours=26),
        description="Recovery point objective: the oldest the newest snapshot may be.",
        examples=["26h"],
    )
    rto: Duration = Field(
        timedelta(hours=1), description="Recovery time objective for a full restore.", examples=["1h"]
    )


class RetentionSection(Section):
    keep_last: int = Field(0, ge=0, description="Snapshots kept regardless of age.", examples=[3])
    keep_daily: int = Field(7, ge=0, description="Daily snapshots kept.", examples=[7])
    keep_weekly: int = Field(4, ge=0, description="Weekly snapshots kept.", examples=[4])
    keep_monthly: int = Field(12, ge=0, description="Monthly snapshots kept.", examples=[12])
    keep_yearly: int = Field(2, ge=0, description="Yearly snapshots kept.", examples=[2])

    @model_validator(mode="after")
    def _keeps_something(self) -> RetentionSection:
        if not any((self.keep_last, self.keep_daily, self.keep_weekly, self.keep_monthly, self.keep_yearly)):
            raise ValueError("a retention that keeps nothing would delete every snapshot; set a keep_* above 0")
        return self


class CheckSection(Section):
    read_data_runs: int = Field(
        12,
        ge=1,
        le=1000,
        description="`mailvault check` reads 1/N of the data each run, so all of it every N runs.",
        examples=[12],
    )


class HooksSection(Section):
    before: list[str] = Field(
        default_factory=list,
        description="Shell commands run before the backup; a failure aborts it.",
        examples=[["doveadm -A fs flush"]],
    )
    after: list[str] = Field(
        default_factory=list,
        description="Shell commands run after the backup (also after a failed one; MAILVAULT_RESULT says which).",
        examples=[["logger mailvault backup done"]],
    )


class ManifestSection(Section):
    full_scan_every: int = Field(
        7,
        ge=1,
        description="Every Nth backup stats every message; the others reuse folders whose cur/ and new/ "
        "are unchanged. 1 = always full.",
        examples=[7],
    )
    sample_size: int = Field(
        200,
        ge=0,
        description="Messages whose SHA-256 is recorded each run; the sample rotates across the store.",
        examples=[200],
    )


class ResticSection(Section):
    binary: str = Field("restic", description="The restic program.", examples=["/usr/bin/restic"])
    cache_dir: Path | None = Field(
        None, description="restic's cache directory (default: restic's own).", examples=["/var/cache/mailvault"]
    )


class ImapRestoreSection(Section):
    """The live IMAP server `mailvault restore --into-imap USER` puts restored messages back into."""

    host: str = Field("127.0.0.1", description="IMAP server.", examples=["127.0.0.1"])
    port: int = Field(993, ge=1, le=65535, description="IMAP port.", examples=[993])
    tls: Literal["implicit", "starttls", "none"] = Field(
        "implicit", description="implicit (993), starttls (143), or none (loopback only).", examples=["implicit"]
    )
    ca_file: Path | None = Field(None, description="CA bundle for a private CA.", examples=["/etc/ssl/private-ca.pem"])
    login: str = Field(
        "%u",
        description="Login name; %u is the mailbox restored into. With a Dovecot master user: %u*admin.",
        examples=["%u*restore"],
    )
    password_file: Path | None = Field(
        None, description="File holding the login's password.", examples=["/etc/mailvault/imap-restore.pw"]
    )
    password_command: str | None = Field(None, description="Command printing the password.", examples=["pass imap"])
    password_env: str | None = Field(None, description="Environment variable with the password.", examples=["IMAP_PW"])
    password_credential: str | None = Field(
        None, description="systemd credential with the password.", examples=["imap-restore"]
    )
    password: SecretStr | None = Field(
        None, description="The password inline (config of mode 0600 only).", examples=["x"]
    )

    @model_validator(mode="after")
    def _sources(self) -> ImapRestoreSection:
        _one_source(self, "password", required=True)
        return self


def _server_address(value: str) -> str:
    port: str | None = None
    if value.startswith("["):
        port = value.partition("]")[2][1:] or None
    elif value.count(":") == 1:
        port = value.split(":")[1]
    if not value.strip() or (port is not None and not (port.isdecimal() and 0 < int(port) < 65536)):
        raise ValueError(f"{value!r} is not host, host:port or [v6]:port")
    return value


ServerAddress = Annotated[str, AfterValidator(_server_address)]


def _flat_names(value: Any) -> Any:
    """``{mail = {_domainkey = {example = {org = "/k"}}}}`` (an unquoted dotted TOML key) -> the one name."""
    if not isinstance(value, dict):
        return value
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        if isinstance(inner, dict):
            flat |= {f"{key}.{k}": v for k, v in _flat_names(inner).items()}
        else:
            flat[key] = inner
    return flat


def _dkim_keys(value: dict[str, Path]) -> dict[str, Path]:
    for name, path in value.items():
        selector, _, domain = name.partition("._domainkey.")
        if not selector or not domain.strip("."):
            raise ValueError(f"{name!r} is not a DKIM key record name (selector._domainkey.domain)")
        if not path.is_absolute():
            raise ValueError(f"{name!r}: {path} is not an absolute path on this host")
    return {name.lower().rstrip("."): path for name, path in value.items()}


DkimKeys = Annotated[dict[str, Path], BeforeValidator(_flat_names), AfterValidator(_dkim_keys)]


class DrillSection(Section):
    """`mailvault restore-test`: the verified restore drill."""

    runtime: Runtime = Field(
        "auto",
        description="Where the drill restores: a docker or podman container (auto: whichever is installed), or"
        " `local` (private mount and PID namespaces on this host, for hosts without a container runtime).",
        examples=["auto"],
    )
    keep_on_failure_hours: float = Field(
        0, ge=0, description="Keep a failed drill's container this long for inspection (0: remove it).", examples=[0]
    )
    verify_restore: bool = Field(
        True, description="Have restic read every restored file back (restore --verify).", examples=[True]
    )
    ready_timeout: int = Field(
        60, ge=5, description="Seconds to wait for the drill's Dovecot to accept connections.", examples=[60]
    )
    controls: bool = Field(
        True,
        description="After a passing verification, damage copies of one small restored folder seven ways (a"
        " message removed, a byte flipped, a message truncated, a folder renamed, a flag lost, UIDVALIDITY"
        " changed, dovecot-uidlist dropped) and prove the same checks fail on each; a damage they miss is a"
        " warning naming it.",
        examples=[True],
    )
    canary: bool = Field(
        True,
        description="Start the restored Postfix config in the drill's place with every way out disabled, send"
        " it a canary message for a restored mailbox, and read the canary back over IMAP after Postfix"
        " delivered it by LMTP to the drill's Dovecot: the second RTO, when mail flows again.",
        examples=[True],
    )
    dkim: DkimKeys = Field(
        {},
        description="DKIM keys the drill checks: the name of the key's TXT record (selector._domainkey.domain,"
        " quoted) -> the private key's path on this host. The drill reads the restored copy and fails when its"
        " public half no longer matches the p= that DNS publishes (the key must be in sources.keys).",
        examples=[{"mail._domainkey.example.org": "/etc/opendkim/keys/mail.private"}],
    )
    dns_resolvers: list[ServerAddress] = Field(
        [],
        description="Resolvers the drill asks for the DKIM records, in turn until one answers (host or"
        " host:port; default: [dns] resolvers), each given [dns] timeout (3 s without a [dns] section).",
        examples=[["127.0.0.53", "9.9.9.9"]],
    )
    upload_report: bool = Field(
        False,
        description="Also store each drill's JSON and Markdown report beside the backups: in <prefix>-reports/"
        " next to an S3 repository's prefix (with the backup credentials), in <path>-reports/ next to a local"
        " one. A failed upload is a warning in the report. The coverage state goes there too, so that a host"
        " rebuilt from its backups continues the rotation (drill.full_coverage_every).",
        examples=[True],
    )
    full_coverage_every: int = Field(
        12,
        ge=1,
        le=1000,
        description="Each drill reads back one share of the messages over IMAP, byte for byte, against the"
        " SHA-256 taken when the backup first saw them: after this many drills every message has been proven"
        " (1: every drill reads back every message).",
        examples=[12],
    )


def _valid_cron(value: str) -> str:
    from mailvault.config.cron import parse

    parse(value)  # raises ValueError naming the bad field
    return value


CronText = Annotated[str, AfterValidator(_valid_cron)]


class JobSchedule(Section):
    """When one job runs."""

    cron: CronText = Field(
        description="Cron schedule, local time: minute hour day month weekday (or @daily, @weekly...).",
        examples=["30 2 * * *"],
    )
    enabled: bool = Field(True, description="Run this job on schedule.", examples=[True])
    jitter: DurationOrZero = Field(
        timedelta(minutes=30),
        description="Start up to this much later, at random, so hosts sharing a bucket do not all start at once.",
        examples=["30m"],
    )
    timeout: Duration = Field(
        timedelta(hours=6), description="A run still going after this long is stopped and reported.", examples=["6h"]
    )


def _job(what: str, cron: str, jitter: str, timeout: str, *, enabled: bool = True) -> Any:
    return Field(
        default_factory=lambda: JobSchedule(
            cron=cron, jitter=parse_duration(jitter), timeout=parse_duration(timeout), enabled=enabled
        ),
        description=what,
    )


class ScheduleSection(Section):
    """When the jobs run: by systemd timers or cron (`schedule install`) or the daemon (`schedule run`)."""

    backup: JobSchedule = _job("`mailvault backup`: nightly.", "30 2 * * *", "30m", "6h")
    prune: JobSchedule = _job("`mailvault prune`: weekly.", "30 4 * * 0", "30m", "6h")
    check: JobSchedule = _job("`mailvault check`: weekly.", "30 5 * * 0", "30m", "12h")
    restore_test: JobSchedule = _job("`mailvault restore-test`, the drill: weekly.", "0 7 * * 6", "30m", "6h")
    restore_test_oldest: JobSchedule = _job(
        "`mailvault restore-test --snapshot oldest-kept`: the drill of the oldest snapshot retention keeps, the"
        " one furthest back a restore can count on: monthly.", "0 9 1 * *", "30m", "6h",
    )  # fmt: skip
    watch: JobSchedule = _job(
        "`mailvault status --notify`: alerts on an RPO breach or a missed run, hourly.", "7 * * * *", "0s", "10m"
    )
    migrate_sync: JobSchedule = _job(
        "`mailvault migrate sync` of [migrate] accounts, during a provider switch's overlap (off until enabled).",
        "*/15 * * * *", "1m", "1h", enabled=False,
    )  # fmt: skip
    misfire_grace: Duration = Field(
        timedelta(hours=12),
        description="The daemon runs a job missed while the host was down when it is back within this long"
        " (once, however many runs were missed); later, the run is reported as missed.",
        examples=["12h"],
    )
    stop_grace: Duration = Field(
        timedelta(minutes=1),
        description="On SIGTERM the daemon lets a running job finish for this long, then stops it cleanly.",
        examples=["1m"],
    )
    program: str = Field(
        "",
        description="The mailvault command the timers and cron run (default: the one running `schedule install`).",
        examples=["/usr/local/bin/mailvault"],
    )


EventName = Literal["start", "success", "failure", "rpo_breach", "drill_failure", "missed_run"]
BAD_EVENTS: list[EventName] = ["failure", "rpo_breach", "drill_failure", "missed_run"]


def _http_url(value: Any) -> Any:
    """An http(s) URL with a host: a ping or webhook URL that cannot be POSTed to is refused now, not
    at the first alert."""
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number in range)
        except ValueError:
            raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535") from None
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class PingSection(Section):
    """Healthchecks-style ping URLs, one a job: URL/start when it starts, URL on success, URL/fail with the log."""

    backup: HttpUrl | None = Field(
        None, description="Ping URL of the backup job.", examples=["https://hc-ping.com/your-uuid"]
    )
    prune: HttpUrl | None = Field(
        None, description="Ping URL of the prune job.", examples=["https://hc-ping.com/uuid-2"]
    )
    check: HttpUrl | None = Field(
        None, description="Ping URL of the check job.", examples=["https://hc-ping.com/uuid-3"]
    )
    restore_test: HttpUrl | None = Field(
        None, description="Ping URL of the restore drill.", examples=["https://hc-ping.com/uuid-4"]
    )
    timeout: float = Field(10, gt=0, description="Seconds to wait for the ping server.", examples=[10])

    def url_for(self, job: str) -> str | None:
        return {"backup": self.backup, "prune": self.prune, "check": self.check, "restore-test": self.restore_test}.get(
            job
        )


class WebhookSection(Section):
    """A generic JSON webhook: each event POSTed as a JSON object."""

    url: HttpUrl = Field(description="Where the events are POSTed.", examples=["https://hooks.example.org/mailvault"])
    events: list[EventName] = Field(
        default_factory=lambda: list(BAD_EVENTS), description="Events sent.", examples=[["failure", "rpo_breach"]]
    )
    timeout: float = Field(10, gt=0, description="Seconds to wait for the webhook.", examples=[10])


class EmailSection(Section):
    """Mail to the postmaster over SMTP: this host is a mail server, so the natural default."""

    to: list[str] = Field(
        default_factory=lambda: ["postmaster"],
        description="Recipients (default: the local postmaster, through the MTA on this host).",
        examples=[["postmaster@example.org"]],
    )
    sender: str = Field(
        "", description="From address (default: mailvault@this host).", examples=["mailvault@example.org"]
    )
    host: str = Field("127.0.0.1", description="SMTP server.", examples=["127.0.0.1"])
    port: int = Field(25, ge=1, le=65535, description="SMTP port.", examples=[25])
    tls: Literal["auto", "starttls", "implicit", "none"] = Field(
        "auto",
        description="auto: STARTTLS when offered (certificate checked, except on loopback); starttls: required;"
        " implicit: TLS from the start (port 465); none: plain.",
        examples=["auto"],
    )
    ca_file: Path | None = Field(None, description="CA bundle for a private CA.", examples=["/etc/ssl/private-ca.pem"])
    username: str | None = Field(None, description="SMTP AUTH user (none: no auth).", examples=["mailvault"])
    password_file: Path | None = Field(
        None, description="File (mode 0600) holding the SMTP password.", examples=["/etc/mailvault/smtp.pass"]
    )
    password_command: str | None = Field(None, description="Command printing the password.", examples=["pass smtp"])
    password_env: str | None = Field(None, description="Environment variable with the password.", examples=["SMTP_PW"])
    password_credential: str | None = Field(
        None, description="systemd credential holding the password.", examples=["smtp-password"]
    )
    password: SecretStr | None = Field(
        None, description="The password inline (refused when the config is readable by others).", examples=["..."]
    )
    events: list[EventName] = Field(
        default_factory=lambda: list(BAD_EVENTS), description="Events mailed.", examples=[["failure", "rpo_breach"]]
    )
    timeout: float = Field(20, gt=0, description="Seconds to wait for the SMTP server.", examples=[20])

    @model_validator(mode="after")
    def _sources(self) -> EmailSection:
        _one_source(self, "password", required=self.username is not None)
        return self


class AlertsSection(Section):
    """Where alerts go; each target optional, several at once."""

    ping: PingSection | None = Field(
        None, description="Healthchecks-style ping URLs.", json_schema_extra={"sample": "commented"}
    )
    webhook: WebhookSection | None = Field(
        None, description="A JSON webhook.", json_schema_extra={"sample": "commented"}
    )
    email: EmailSection | None = Field(None, description="Mail over SMTP.", json_schema_extra={"sample": "commented"})
    retry_for: Duration = Field(
        timedelta(hours=24),
        description="Retry an undelivered alert for this long, then log that it was lost.",
        examples=["24h"],
    )


class MigrateSection(Section):
    """A provider switch in progress: what the scheduled `migrate sync` works on."""

    accounts: Path | None = Field(
        None, description="The accounts file of `mailvault migrate`.", examples=["/etc/mailvault/migrate/accounts.toml"]
    )
    servers: Path | None = Field(
        None, description="With a CSV accounts file: the TOML with [source] and [destination].",
        examples=["/etc/mailvault/migrate/servers.toml"],
    )  # fmt: skip
    domain: str | None = Field(
        None, description="The mail domain whose MX `migrate cutover` and `migrate rollback` switch (see [dns]).",
        examples=["example.org"],
    )  # fmt: skip


class DnsSection(Section):
    """The mail domain's DNS, for `mailvault dns` (the MX cutover of a provider switch)."""

    backend: Literal["rfc2136", "lexicon", "manual"] = Field(
        "manual",
        description="How changes are applied: rfc2136 (dynamic updates signed with TSIG), lexicon (a DNS "
        "provider's API through dns-lexicon) or manual (mailvault prints the records; gate and verify "
        "confirm them).",
        examples=["rfc2136"],
    )
    server: ServerAddress | None = Field(
        None, description="rfc2136: the primary that takes the updates (host or host:port).",
        examples=["127.0.0.1:15353"],
    )  # fmt: skip
    tsig_key_file: Path | None = Field(
        None,
        description='rfc2136: the TSIG key in BIND\'s key-file format (key "name" { algorithm hmac-sha256; '
        'secret "..."; };), as written by tsig-keygen.',
        examples=["/etc/mailvault/tsig.key"],
    )
    resolvers: list[ServerAddress] = Field(
        ["1.1.1.1", "8.8.8.8", "9.9.9.9"],
        description="The resolver panel that `dns gate` and `dns verify` ask (host or host:port).",
        examples=[["127.0.0.1:15353"]],
    )
    authoritative: list[ServerAddress] = Field(
        [],
        description="The zone's authoritative servers, asked directly (default: the primary in `server`; "
        "list every public nameserver when the primary is hidden).",
        examples=[["ns1.example.org", "ns2.example.org"]],
    )
    dkim_selectors: list[str] = Field(
        [], description="DKIM selectors to show and check.", examples=[["mail"]]
    )  # fmt: skip
    dkim_private_keys: dict[str, Path] = Field(
        {},
        description="Selector -> DKIM private key (PEM): `dns inspect` checks the published p= matches it.",
        examples=[{"mail": "/etc/dkim/mail.private"}],
    )
    sending_ips: list[str] = Field(
        [],
        description="Addresses that send the domain's mail, checked against SPF (default: the MX hosts' addresses).",
        examples=[["192.0.2.25"]],
    )
    low_ttl: int = Field(300, ge=1, description="The TTL (s) used around the cutover.", examples=[300])
    margin: DurationOrZero = Field(
        timedelta(minutes=10), description="Safety margin added to every computed wait.", examples=["10m"]
    )
    raise_after: Duration = Field(
        timedelta(hours=24),
        description="How long after the cutover the TTLs stay low (rollback stays fast until then).",
        examples=["24h"],
    )
    timeout: float = Field(3.0, gt=0, description="Seconds to wait for one DNS answer.", examples=[3])
    mta_sts_ca_file: Path | None = Field(
        None, description="CA bundle for fetching the MTA-STS policy (a private CA).", examples=["/etc/ssl/ca.pem"]
    )
    lexicon_provider: str | None = Field(
        None,
        description="lexicon: the provider name (credentials come from LEXICON_<PROVIDER>_* environment variables).",
        examples=["cloudflare"],
    )

    @model_validator(mode="after")
    def _backend_needs(self) -> DnsSection:
        if self.backend == "rfc2136" and (self.server is None or self.tsig_key_file is None):
            raise ValueError("backend rfc2136 needs server and tsig_key_file")
        if self.backend == "lexicon" and self.lexicon_provider is None:
            raise ValueError("backend lexicon needs lexicon_provider")
        return self


class FleetSection(Section):
    """Summaries beside the backups, sealed to a fleet key, and `mailvault fleet status` over many hosts."""

    recipient: str | None = Field(
        None,
        description="The fleet's public key (`mailvault fleet keygen` prints it). When set, every backup,"
        " prune, check and drill puts a summary (verdicts, times, counts, sizes; no mailbox names) sealed to it"
        " beside the repository: mailvault-fleet/<host>/ at the bucket's root, <path>-fleet/<host>/ next to"
        " a local repository.",
        examples=["mvfleet1:4dQb1O0w3m8rLh7yT0sJ0QGm6N6uY8Xb3fJ0b1mUq2o"],
        json_schema_extra={"sample": "commented"},
    )
    host: str | None = Field(
        None, description="This host's name in the fleet (default: its hostname).", examples=["mail1"],
        json_schema_extra={"sample": "commented"},
    )  # fmt: skip
    keep: int = Field(400, ge=10, description="Summaries of each kind kept per host (older ones are deleted).",
                      examples=[400])  # fmt: skip
    identity_file: Path | None = Field(
        None,
        description="`fleet status` only: the file holding the fleet's secret key (`mailvault fleet keygen`"
        " writes it, 0600); --identity gives another.",
        examples=["/etc/mailvault/fleet.key"],
        json_schema_extra={"sample": "commented"},
    )
    sources: list[str] = Field(
        [],
        description="`fleet status` only: where to read summaries: s3:http(s)://endpoint/bucket (with"
        " [repository.s3]'s credentials) or a local directory (default: this repository's bucket or dir).",
        examples=[["s3:https://s3.example.net/mail-backups"]],
    )


class ReportSection(Section):
    """`mailvault report`: the host's report as one HTML page (charts inline, nothing fetched)."""

    html: Path | None = Field(
        None,
        description="Also write the report here after every backup and drill (a file, or a directory for"
        " index.html). Without it, `mailvault report` writes reports/report.html in the state dir.",
        examples=["/var/www/mailvault/index.html"],
        json_schema_extra={"sample": "commented"},
    )


class MetricsSection(Section):
    """Prometheus metrics, written after every job."""

    textfile: Path | None = Field(
        None,
        description="Textfile for node_exporter's textfile collector (default: mailvault.prom in the state dir).",
        examples=["/var/lib/prometheus/node-exporter/mailvault.prom"],
    )
    per_mailbox: bool = Field(
        False,
        description="Also messages and bytes per mailbox (off: mailbox names are personal data).",
        examples=[False],
    )


class Config(Section):
    """The whole mailvault configuration."""

    repository: RepositorySection = Field(description="The backup repository.")
    sources: SourcesSection = Field(description="What is backed up.")
    state: StateSection = Field(default_factory=lambda: StateSection(), description="Local state.")
    targets: TargetsSection = Field(default_factory=lambda: TargetsSection(), description="RPO and RTO targets.")
    retention: RetentionSection = Field(
        default_factory=lambda: RetentionSection(), description="What `mailvault prune` keeps."
    )
    check: CheckSection = Field(default_factory=lambda: CheckSection(), description="Repository checks.")
    hooks: HooksSection = Field(default_factory=lambda: HooksSection(), description="Commands around backups.")
    manifest: ManifestSection = Field(
        default_factory=lambda: ManifestSection(), description="The mail manifest in each snapshot."
    )
    restic: ResticSection = Field(default_factory=lambda: ResticSection(), description="The restic engine.")
    drill: DrillSection = Field(default_factory=lambda: DrillSection(), description="The restore drill.")
    schedule: ScheduleSection = Field(default_factory=lambda: ScheduleSection(), description="When the jobs run.")
    alerts: AlertsSection = Field(default_factory=lambda: AlertsSection(), description="Where alerts go.")
    metrics: MetricsSection = Field(default_factory=lambda: MetricsSection(), description="Prometheus metrics.")
    report: ReportSection = Field(default_factory=lambda: ReportSection(), description="The host's HTML report.")
    fleet: FleetSection = Field(default_factory=lambda: FleetSection(), description="The fleet of mail hosts.")
    migrate: MigrateSection = Field(
        default_factory=lambda: MigrateSection(), description="A provider switch in progress."
    )
    dns: DnsSection | None = Field(
        None, description="DNS for the MX cutover (`mailvault dns`).", json_schema_extra={"sample": "commented"}
    )
    imap_restore: ImapRestoreSection | None = Field(
        None,
        description="The live IMAP server for `restore --into-imap`.",
        json_schema_extra={"sample": "commented"},
    )

    @model_validator(mode="after")
    def _migrate_sync_has_accounts(self) -> Config:
        if self.schedule.migrate_sync.enabled and self.migrate.accounts is None:
            raise ValueError(
                "schedule.migrate_sync is enabled but [migrate] accounts is not set: set it or disable the job"
            )
        if self.drill.dkim and not self.drill_resolvers:
            raise ValueError("drill.dkim needs resolvers to ask: set drill.dns_resolvers (or a [dns] section)")
        return self

    @property
    def drill_resolvers(self) -> list[str]:
        """The resolvers the drill asks: [drill] dns_resolvers, else [dns] resolvers, else none."""
        return list(self.drill.dns_resolvers) or (list(self.dns.resolvers) if self.dns is not None else [])

    def has_inline_secrets(self) -> bool:
        """True when a secret value is written in the config file itself."""
        s3 = self.repository.s3
        pairs = [s3, s3.prune] if s3 is not None else []
        if self.imap_restore is not None and self.imap_restore.password is not None:
            return True
        if self.alerts.email is not None and self.alerts.email.password is not None:
            return True
        return self.repository.password is not None or any(
            p is not None and (p.access_key_id is not None or p.secret_access_key is not None) for p in pairs
        )
