"""A throwaway mail host for end-to-end tests: a generated store, secrets, a config, and helpers to
run the real `mailvault` CLI and the real restic against the same repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailvault.demo import mailstore
from mailvault.demo.seaweed import S3Identity
from tests.e2e import secret_watch

SMALL = mailstore.StoreSpec(
    domains=("example.com", "example.org"),
    users=("alice", "bob"),
    folders=("INBOX", "Sent", "Archive.2025", "Entwürfe"),
    messages_per_folder=5,
    attachment_every=4,
    attachment_bytes=4000,
)


@dataclass
class Workspace:
    root: Path
    url: str
    password: str
    identity: S3Identity | None
    extra_toml: str = ""
    sources_extra: str = ""  # more [sources] lines (layout, dovecot_config, ...)
    layout: str = "%d/%n/Maildir"
    config_path: Path = field(init=False)
    vmail: Path = field(init=False)
    state: Path = field(init=False)

    def __post_init__(self) -> None:
        self.vmail = self.root / "vmail"
        self.state = self.root / "state"
        self.secrets = self.root / "secrets"
        self.secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config_path = self.root / "mailvault.toml"
        self.watch = secret_watch.current()
        if self.watch is not None:
            self.watch.state_dirs.append(self.state)
        if self.password:
            self.write_secret("repository.key", self.password)
        if self.identity is not None:
            self.write_secret("s3-id", self.identity.access_key)
            self.write_secret("s3-secret", self.identity.secret_key)

    def write_secret(self, name: str, value: str) -> Path:
        """Write a secret file (mode 0600); the leak harness then looks for ``value`` everywhere."""
        if self.watch is not None:
            self.watch.secret(value)
        path = self.secrets / name
        path.write_text(value + "\n")
        path.chmod(0o600)
        return path

    def generate(self, spec: mailstore.StoreSpec = SMALL) -> mailstore.Generated:
        gen = mailstore.generate(self.vmail, spec)
        self.config_dirs, self.key_dirs = mailstore.make_server_config(self.root, self.vmail)
        self.write_config()
        return gen

    def write_config(self, extra: str | None = None, **repo: str) -> None:
        repo_lines = {"url": self.url, "password_file": str(self.secrets / "repository.key"), **repo}
        s3 = ""
        if self.identity is not None:
            s3 = (
                "[repository.s3]\n"
                f'access_key_id_file = "{self.secrets / "s3-id"}"\n'
                f'secret_access_key_file = "{self.secrets / "s3-secret"}"\n'
                "connect_timeout = 5\n"
            )
        text = "[repository]\n" + "".join(f'{k} = "{v}"\n' for k, v in repo_lines.items()) + s3
        text += (
            "[sources]\n"
            f'maildirs = ["{self.vmail}"]\n'
            f'layout = "{self.layout}"\n'
            f"{self.sources_extra}"
            f"config = {json.dumps([str(p) for p in getattr(self, 'config_dirs', [])])}\n"
            f"keys = {json.dumps([str(p) for p in getattr(self, 'key_dirs', [])])}\n"
            f'[state]\ndir = "{self.state}"\n'
            "[manifest]\nsample_size = 10\n"
            "[check]\nread_data_runs = 3\n"
        )
        text += self.extra_toml if extra is None else extra
        self.config_path.write_text(text)
        self.config_path.chmod(0o600)

    def cli(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI in a child process, as an operator would."""
        proc = subprocess.run(
            [sys.executable, "-m", "mailvault", "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        if self.watch is not None:
            self.watch.outputs += [proc.stdout, proc.stderr]
        if check and proc.returncode != 0:
            raise AssertionError(f"mailvault {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    def bare_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The CLI as on a bare machine: no config file anywhere, only what the arguments give."""
        proc = subprocess.run(
            [sys.executable, "-m", "mailvault", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "MAILVAULT_CONFIG": str(self.root / "no-such-config.toml")},
        )
        if self.watch is not None:
            self.watch.outputs += [proc.stdout, proc.stderr]
        if check and proc.returncode != 0:
            raise AssertionError(f"mailvault {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def restic_env(self) -> dict[str, str]:
        env = {**os.environ, "RESTIC_PASSWORD_FILE": str(self.secrets / "repository.key")}
        if self.identity is not None:
            env |= {"AWS_ACCESS_KEY_ID": self.identity.access_key, "AWS_SECRET_ACCESS_KEY": self.identity.secret_key}
        return env

    def restic(self, *args: str) -> str:
        """Real restic, outside mailvault, to check what mailvault claims."""
        proc = subprocess.run(
            ["restic", "-r", self.url, *args], capture_output=True, text=True, env=self.restic_env(), timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout


def unique_prefix() -> str:
    return uuid.uuid4().hex[:10]
