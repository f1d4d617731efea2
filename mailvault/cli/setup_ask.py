"""How `mailvault setup` asks what it cannot detect: on a terminal, a question; for scripts
(``--yes``, or no terminal), a refusal naming the flag that answers it."""

from __future__ import annotations

import getpass

import typer

from mailvault.cli.output import stderr
from mailvault.errors import ConfigError, SecretError


class FlagsOnly:
    """Never asks: each unanswered question is an error naming its flag; ``confirm`` is no."""

    def choose(self, question: str, options: list[tuple[str, str]], flag: str) -> str:
        listed = "; ".join(f"{flag} {label}: {what}" for label, what in options)
        raise ConfigError(f"{question}: {listed}", hint=f"choose with {flag}, or run setup on a terminal to be asked")

    def text(self, question: str, flag: str) -> str:
        raise ConfigError(
            f"setup needs {flag}: {question}", hint=f"pass {flag}, or run setup on a terminal to be asked"
        )

    def secret(self, question: str, flag: str) -> str:
        raise SecretError(f"setup needs {flag}: {question}", hint=f"pass {flag} (a file of mode 0600)")

    def confirm(self, question: str, flag: str) -> bool:
        return False


class Terminal:
    """Asks on the terminal; every answer is read as text, never as markup."""

    def choose(self, question: str, options: list[tuple[str, str]], flag: str) -> str:
        stderr.print(question + ":")
        for number, (label, what) in enumerate(options, 1):
            stderr.print(f"  {number}. {label}: {what}")
        while True:
            answer = str(typer.prompt(f"Which one (1-{len(options)})", err=True)).strip()
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return options[int(answer) - 1][0]
            if answer in [label for label, _ in options]:
                return answer

    def text(self, question: str, flag: str) -> str:
        while True:
            answer = str(typer.prompt(question, err=True)).strip()
            if answer:
                return answer

    def secret(self, question: str, flag: str) -> str:
        while True:
            answer = getpass.getpass(f"{question}: ").strip()
            if answer:
                return answer

    def confirm(self, question: str, flag: str) -> bool:
        return bool(typer.confirm(question, default=False, err=True))
