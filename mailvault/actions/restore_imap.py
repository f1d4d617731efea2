"""`mailvault restore --into-imap USER`: the additive single-mailbox restore.

The selected messages are restored into a private temporary directory, then appended over
IMAP to new folders ``Restored/<snapshot time>/<folder>`` of the live mailbox, with their
flags, keywords and dates. Existing folders are never touched.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mailvault.actions.restore import ProgressSink, Selection, restore
from mailvault.config.schema import Config
from mailvault.errors import ConfigError, RestoreError
from mailvault.imap.append import FolderToAppend, append_folders
from mailvault.imap.connect import connect, login
from mailvault.keys.secrets import SecretSource, resolve
from mailvault.mail.restore_plan import restored
from mailvault.state.paths import StatePaths

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapRestoreResult:
    snapshot_id: str
    snapshot_time: str
    account: str
    folders: list[str]
    messages: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def restore_into_imap(
    config: Config,
    spec: str,
    account: str,
    selection: Selection,
    *,
    dry_run: bool = False,
    progress: ProgressSink | None = None,
) -> ImapRestoreResult:
    section = config.imap_restore
    if section is None:
        raise ConfigError(
            "restore --into-imap needs an [imap_restore] section (the live IMAP server and a login)",
            hint="add it to the config: `mailvault config init --out -` shows every key",
        )
    if selection.config_files or selection.keys:
        raise RestoreError("--into-imap restores mail only", hint="drop --config-files/--keys")
    if len(selection.mailboxes) > 1:
        raise RestoreError("--into-imap takes one --mailbox (the one whose messages go back)")
    chosen = replace(selection, mailboxes=selection.mailboxes or [account])
    paths = StatePaths(config.state.dir)
    paths.ensure()
    work = Path(tempfile.mkdtemp(prefix="restore-", dir=paths.root))
    try:
        result = restore(config, spec, work / "tree", chosen, dry_run=dry_run, progress=progress)
        stamp = result.snapshot_time[:16].replace("T", " ").replace(":", "")
        if dry_run:
            logger.info("dry run: would append %d messages to Restored/%s/... of %s", result.messages, stamp, account)
            return ImapRestoreResult(result.snapshot_id, result.snapshot_time, account,
                                     result.folder_names, result.messages, True)  # fmt: skip
        folders = [
            FolderToAppend(name.split("/", 1)[1], restored(work / "tree", path))
            for name, path in zip(result.folder_names, result.folder_paths, strict=True)
        ]
        password = resolve(SecretSource.from_section(section, "password", "imap_restore.password"))
        user = section.login.replace("%u", account)
        client = connect(section.host, section.port, tls=section.tls, ca_file=str(section.ca_file or "") or None)
        try:
            login(client, user, password, where=f"IMAP server {section.host}:{section.port}")
            created, count = append_folders(client, folders, stamp)
        finally:
            client.logout()
        logger.info("put %d messages back into %s under Restored/%s", count, account, stamp)
        return ImapRestoreResult(result.snapshot_id, result.snapshot_time, account, created, count, False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
