"""`mailvault setup`, its first half: from what the host says (and what the operator answers) to a
config file. Written whole or not at all (a temp file renamed into place), mode 0600, every value
under a comment saying where it came from. A second run changes nothing unless asked; it compares
the host with the config (`setup --check`) and, with `--update`, rewrites only setup's [sources]."""

from __future__ import annotations

import json
import logging
import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mailvault import execute
from mailvault.actions.setup_detect import Detected
from mailvault.config.load import load_config, problems
from mailvault.config.schema import DOVECOT_LAYOUT
from mailvault.errors import ConfigError, MailvaultError, SourceError, unreadable_source
from mailvault.setup import config_text
from mailvault.setup.drift import Configured, Drift, compare
from mailvault.setup.host import HostView, Known, MailStore
from mailvault.state.paths import write_atomic

logger = logging.getLogger(__name__)

RECORD = "setup.json"


class Ask(Protocol):
    """How setup gets what it cannot detect: a terminal asks; ``--yes`` refuses, naming the flag."""

    def choose(self, question: str, options: list[tuple[str, str]], flag: str) -> str: ...
    def text(self, question: str, flag: str) -> str: ...
    def secret(self, question: str, flag: str) -> str: ...
    def confirm(self, question: str, flag: str) -> bool: ...


@dataclass(frozen=True)
class Given:
    """What the operator gave on the command line."""

    config_path: Path
    state_dir: Path
    repository: str | None = None
    s3_access_key_file: Path | None = None
    s3_secret_key_file: Path | None = None
    password_file: Path | None = None
    store: str | None = None  # "pattern" or "dovecot", when two detections disagree
    maildir_root: Path | None = None
    layout: str | None = None
    runtime: str = "auto"
    update: bool = False


@dataclass
class ConfigOutcome:
    path: Path
    written: str  # "created", "updated", "unchanged"
    view: HostView
    drift: list[Drift] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.path),
            "written": self.written,
            "record": self.view.as_record(),
            "drift": [d.as_dict() for d in self.drift],
        }


def settle_store(found: Detected, given: Given, ask: Ask) -> MailStore:
    """The store to back up: the operator's own, the one detected, or the one they choose when
    mail_location and the userdb disagree. Raise SourceError when the store is not Maildir."""
    if found.refused:
        raise SourceError(found.refused, hint="convert the store to Maildir first, then run mailvault setup again")
    if given.maildir_root is not None or not found.stores:
        root = given.maildir_root or Path(
            ask.text("The maildir root (the directory that holds every mailbox)", "--maildir-root")
        )
        layout = given.layout or ask.text("Its layout below the root (like %d/%n/Maildir)", "--layout")
        return MailStore((str(root),), layout, "maildir++", "given: --maildir-root and --layout", (), "given")
    if len(found.stores) == 1:
        return found.stores[0]
    labels = [s.label for s in found.stores]
    chosen_before = given.store or _configured_label(given.config_path)
    if chosen_before in labels:
        return found.stores[labels.index(chosen_before)]
    options = [(s.label, f"back up {', '.join(s.maildirs)} with layout {s.layout}: {s.how}") for s in found.stores]
    chosen = ask.choose("Dovecot's mail_location and its userdb disagree about where mail is", options, "--store")
    return found.stores[labels.index(chosen)]


def _configured_label(path: Path) -> str | None:
    """Which of two disagreeing stores an existing config backs up (the choice made at the first setup)."""
    try:
        layout = load_config(path).sources.layout if path.exists() else None
    except MailvaultError:
        return None
    return None if layout is None else "dovecot" if layout == DOVECOT_LAYOUT else "pattern"


def check_paths(view: HostView, files: list[Known]) -> None:
    """Raise SourceError for the first detected path that does not exist or that this user cannot read."""
    dirs = [Known(root, view.store.how) for root in view.store.maildirs] + view.config_dirs + view.key_dirs
    for known, is_dir in [*((k, True) for k in dirs), *((k, False) for k in files)]:
        path = Path(known.value)
        if not (path.is_dir() if is_dir else path.is_file()):
            raise SourceError(
                f"{path} does not exist ({known.how})",
                hint="fix the setting it came from, or give the right path (see `mailvault setup --help`)",
            )
        if not os.access(path, os.R_OK | (os.X_OK if is_dir else 0)):
            raise unreadable_source(path, known.how)


@dataclass
class NewConfig:
    """A new config's answers, before anything is written: the repository, and typed secrets by file."""

    repo: config_text.Repository
    typed: dict[Path, str] = field(default_factory=dict)


def ask_new(given: Given, ask: Ask) -> NewConfig:
    """What a new config needs that the host cannot say; asks (or refuses, naming the flag), writes nothing."""
    here = given.config_path.parent
    url = given.repository or ask.text(
        "Where the backups go: an S3 URL (s3:https://host/bucket/path) or a local directory", "--repository"
    )
    typed: dict[Path, str] = {}
    access, secret = given.s3_access_key_file, given.s3_secret_key_file
    if url.startswith("s3:"):
        access = access or _typed(here / "s3-access-key-id", "The S3 access key id", "--s3-access-key-file", ask, typed)
        secret = secret or _typed(
            here / "s3-secret-access-key", "The S3 secret access key", "--s3-secret-key-file", ask, typed
        )
    password = given.password_file or here / "repository.password"
    repo = config_text.Repository(
        url, "given: --repository" if given.repository else "answered at setup",
        str(password), "given: --password-file" if given.password_file
        else "generated by `mailvault init` (mode 0600); the recovery kit carries it",
        str(access) if access else None, str(secret) if secret else None,
        "given on the command line" if given.s3_access_key_file else "answered at setup, kept in these files (0600)",
    )  # fmt: skip
    return NewConfig(repo, typed)


def _typed(path: Path, question: str, flag: str, ask: Ask, typed: dict[Path, str]) -> Path:
    """``path``, its secret asked for unless a stopped setup left the file already."""
    if not path.exists():
        typed[path] = ask.secret(question, flag)
        execute.register_secret(typed[path])
    return path


def write_config(view: HostView, given: Given, new: NewConfig) -> ConfigOutcome:
    """Write the new config (none exists at ``given.config_path``) and the secrets typed for it."""
    given.config_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, value in new.typed.items():
        write_atomic(path, value + "\n", mode=0o600)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    text = config_text.render(view, new.repo, state_dir=str(given.state_dir), runtime=given.runtime, date=date)
    _write_valid(given.config_path, text)
    save_record(given.state_dir, view)
    return ConfigOutcome(given.config_path, "created", view)


def revisit(view: HostView, given: Given, ask: Ask) -> ConfigOutcome:
    """An existing config: compare it with the host; change it only when asked (``--update``, or
    yes on a terminal), and then only setup's [sources] keys."""
    config = load_config(given.config_path)
    src = config.sources
    configured = Configured(
        tuple(str(p) for p in src.maildirs),
        src.layout,
        tuple(str(p) for p in src.config),
        tuple(str(p) for p in src.keys),
    )
    record = load_record(config.state.dir)
    drift = compare(view, configured, record)
    outcome = ConfigOutcome(given.config_path, "unchanged", view, drift)
    if record is None:
        save_record(config.state.dir, view)  # (a config written by hand: what the host says now is the baseline)
    if not drift or not (
        given.update or ask.confirm("Update the config's [sources] to what the host says now?", "--update")
    ):
        return outcome
    text = config_text.update_sources(given.config_path.read_text(), view)
    if text is None:
        raise ConfigError(
            f"{given.config_path}: [sources] is not as setup wrote it, so it is not edited",
            hint="make the changes listed above by hand, then run `mailvault setup --check`",
        )
    _write_valid(given.config_path, text)
    save_record(config.state.dir, view)
    outcome.written = "updated"
    return outcome


def _write_valid(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole (temp file, fsync, rename), after proving it is a valid config."""
    wrong = problems(tomllib.loads(text))
    if wrong:  # a defect of setup's, never the operator's: say so whole
        raise ConfigError(f"setup made a config that does not validate: {'; '.join(wrong)}", hint="report this")
    write_atomic(path, text, mode=0o600)
    logger.info("wrote %s", path)


def load_record(state_dir: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((state_dir / RECORD).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def save_record(state_dir: Path, view: HostView) -> None:
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {**view.as_record(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(state_dir / RECORD, json.dumps(record, indent=1) + "\n")
