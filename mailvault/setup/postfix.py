"""What the host's Postfix says about the files it needs: its config directory and the TLS
certificate and key it serves (``postconf -c DIR -h``), each with how it was found."""

from __future__ import annotations

from dataclasses import dataclass

from mailvault import execute

TLS_SETTINGS = ("smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd_tls_chain_files", "smtp_tls_CAfile")


@dataclass(frozen=True)
class Found:
    setting: str
    path: str
    how: str


def postconf_argv(config_dir: str, settings: tuple[str, ...]) -> tuple[str, ...]:
    """
    >>> postconf_argv("/etc/postfix", ("smtpd_tls_cert_file",))
    ('postconf', '-c', '/etc/postfix', '-h', 'smtpd_tls_cert_file')
    """
    return ("postconf", "-c", config_dir, "-h", *settings)


def tls_files(config_dir: str) -> list[Found]:
    """Each TLS file the Postfix config in ``config_dir`` names (a chain setting may name several);
    ToolError or CommandFailed when postconf is missing or refuses the config."""
    done = execute.run(postconf_argv(config_dir, TLS_SETTINGS), what=f"postconf -c {config_dir}", timeout=30)
    found = []
    for setting, value in zip(TLS_SETTINGS, done.stdout.splitlines(), strict=False):
        for path in value.replace(",", " ").split():
            if path.startswith("/"):
                found.append(Found(setting, path, f"from `postconf -c {config_dir} -h {setting}`"))
    return found
