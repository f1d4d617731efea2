"""The two ways `mailvault migrate run` can move an account, and which one an account uses.

- ``imap``: IMAP to IMAP, any server to any server; folders matched by special-use role. The
  destination gives every message a new UID, so mail clients download everything again.
- ``doveadm``: when the destination is the Dovecot on this host, Dovecot's own dsync pulls the
  mail over imapc and keeps each folder's UIDVALIDITY and each message's UID: clients keep their
  caches. dsync places folders by path, not by role.

An account keeps the engine that first moved it (recorded in the state): the two place folders
differently, and mixing them would put the same mail in two folders.
"""

from __future__ import annotations

from mailvault.errors import ConfigError
from mailvault.imap.folders import FolderPlan, Side, map_folders
from mailvault.migrate.copy import Mapper
from mailvault.migrate.state import MigrationState

ENGINES = ("imap", "doveadm")

CLIENTS_SEE = {
    "imap": "new UIDs and UIDVALIDITY on the destination: mail clients download every message again",
    "doveadm": "UIDVALIDITY and UIDs kept (dsync): mail clients keep their caches and download nothing again,"
    " in every folder dsync fills",
}


def checked(engine: str | None) -> str | None:
    """``engine`` when it is known (None passes); ConfigError otherwise."""
    if engine is not None and engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r} is not an engine", hint=f"use one of {', '.join(ENGINES)}")
    return engine


def recorded(state: MigrationState | None, user: str) -> str | None:
    """The engine that moved ``user`` (an account copied before engines were recorded: imap)."""
    if state is None:
        return None
    return state.engine(user) or ("imap" if state.has_copies(user) else None)


def choose(state: MigrationState | None, user: str, requested: str | None) -> str:
    """The engine for ``user``: the one asked for, else the one that moved it, else imap. Raise
    ConfigError when the asked one differs from the one that moved it."""
    before = recorded(state, user)
    if requested is not None and before is not None and requested != before:
        raise ConfigError(
            f"{user} was moved with --engine {before}: the engines place folders differently",
            hint=f"run it with --engine {before}, or without --engine",
        )
    return checked(requested) or before or "imap"


def mapper(engine: str, preset: str | None) -> Mapper:
    """How ``engine`` places folders: by role (imap) or by path (doveadm, as dsync does)."""
    by_role = engine != "doveadm"

    def mapping(source: Side, destination: Side) -> FolderPlan:
        return map_folders(source, destination, preset=preset, by_role=by_role)

    return mapping
