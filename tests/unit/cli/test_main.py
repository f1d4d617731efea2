"""Only the invoked command's module is loaded; everything is there for help."""

from __future__ import annotations

import pytest

from mailvault.cli import main


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["migrate", "sync", "a.toml"], "migrate"),
        (["-c", "/etc/mv.toml", "-v", "backup"], "backup"),
        (["--config", "dns", "dns", "plan"], "dns"),  # a config file named "dns" is an option's value
        (["--kit", "k.txt", "--kit-passphrase-file", "p", "snapshots"], "snapshots"),
        (["restore-test", "--json"], "restore-test"),
        (["--help"], None),
        (["migrte", "run"], None),  # typer then lists every command and says which does not exist
        ([], None),
    ],
)
def test_the_invoked_command_is_found_after_the_global_options(argv: list[str], name: str | None) -> None:
    assert main.invoked(argv) == name


def test_registering_everything_gives_every_command_once() -> None:
    app = main.register()
    main.register()
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]  # type: ignore[union-attr]
    names += [g.name for g in app.registered_groups if g.name]
    assert sorted(names) == sorted(main.COMMANDS), "a command missing from COMMANDS, or registered twice"


def test_verbose_is_shown_as_a_flag_and_help_text_keeps_its_brackets() -> None:
    from typer.testing import CliRunner

    app = main.register()
    top = CliRunner().invoke(app, ["--help"], terminal_width=200).output
    assert "-v, --verbose " in top and "<int>" not in top.split("--verbose", 1)[1].splitlines()[0]
    sub = CliRunner().invoke(app, ["migrate", "plan", "--help"], terminal_width=200).output
    assert "TOML with [source] and [destination]" in sub
