"""The drill's Dovecot: started in the place before the restore ends, given the restored mail after.

Dovecot starts on a free loopback port with an empty passwd-file, so nobody can log in (and no
mailbox is opened) while restic writes. Once the restore is done, the restored maildirs are handed
to Dovecot's mail user and the passwd-file is filled; Dovecot re-reads it at the next login.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from mailvault import execute, netprobe
from mailvault.drill import dovecot_conf
from mailvault.drill.place import Place
from mailvault.errors import MailvaultError
from mailvault.mail.manifest_model import Manifest
from mailvault.mail.restore_plan import restored
from mailvault.state.paths import write_atomic

NOBODY = 65534
# Let the mail user traverse every directory between a restored maildir root and the restore root
# (the drill's own directories are 0700 root), after giving the roots to nobody when "$2" is "yes".
# "$1" is the restore root and the rest are the maildir roots: arguments, never shell text.
HAND_OVER = (
    'top="$1"; give="$2"; shift 2; for root in "$@"; do'
    ' if [ "$give" = yes ]; then chown -R {owner} "$root" || exit 1; fi; d="$root";'
    ' while [ "$d" != "$top" ] && [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d"; done; done'
)


def password(work: Path) -> str:
    """The drill's one login password (every restored mailbox has it)."""
    return (work / "run" / "login").read_text().strip()


def start(place: Place, work: Path, *, lmtp: bool = False) -> tuple[int, int | None]:
    """Start Dovecot in ``place`` on a free loopback port, with nobody able to log in yet; that port
    and, with ``lmtp``, the port of its LMTP listener (the canary's delivery)."""
    secret = secrets.token_urlsafe(18)
    execute.register_secret(secret)
    write_atomic(work / "run" / "login", secret + "\n")
    write_atomic(work / "run" / "users", "")
    (work / "run" / "dovecot").mkdir(exist_ok=True)
    port = netprobe.free_port()
    lmtp_port = netprobe.free_port() if lmtp else None
    conf = dovecot_conf.render(
        port=port, run_dir=f"{place.run_dir}/dovecot", users=f"{place.run_dir}/users", lmtp_port=lmtp_port
    )
    (work / "run" / "dovecot.conf").write_text(conf)
    place.start_dovecot(f"{place.run_dir}/dovecot.conf")
    return port, lmtp_port


def serve(
    place: Place,
    work: Path,
    manifest: Manifest,
    port: int,
    *,
    ready_timeout: float,
    also: Sequence[tuple[str, str]] = (),
) -> None:
    """Give the restored mailboxes to the running Dovecot; return once it answers on ``port``.

    ``also``: more (login, mailbox path) pairs, for mailboxes made later (the negative controls'
    copies). They are listed now because Dovecot re-reads a changed passwd-file at most once a
    second: a login in the second of the last lookup would not see a line added then."""
    first = restored(work / "restore", manifest.mailboxes[0].path) if manifest.mailboxes else work / "restore"
    owner = first.stat() if first.exists() else (work / "restore").stat()
    uid, gid = owner.st_uid, owner.st_gid
    if uid == 0:  # Dovecot never serves mail as root: hand the throwaway copy to nobody
        uid = gid = NOBODY
    hand_over(place, [place.restore_root + root for root in manifest.roots], chown=owner.st_uid == 0)
    users = dovecot_conf.users_file(
        [
            *((m.name, place.restore_root + m.path) for m in manifest.mailboxes),
            *((name, place.restore_root + path) for name, path in also),
        ],
        password=password(work),
        uid=uid,
        gid=gid,
        folder_layout=manifest.folder_layout,
    )
    write_atomic(work / "run" / "users", users)
    if netprobe.wait_listening(port, timeout=ready_timeout):
        return
    logs = [work / "run" / "dovecot" / name for name in ("start.log", "dovecot.log")]
    tail = [line for log in logs if log.exists() for line in log.read_text(errors="replace").splitlines()][-3:]
    raise MailvaultError(
        f"the drill's Dovecot did not answer on 127.0.0.1:{port} within {ready_timeout:g} s", details=tail
    )


def hand_over(place: Place, roots: list[str], *, chown: bool) -> None:
    """Let the mail user reach the restored maildir roots; with ``chown``, first give them to nobody."""
    script = HAND_OVER.format(owner=f"{NOBODY}:{NOBODY}")
    argv = ["sh", "-c", script, "hand-over", place.restore_root, "yes" if chown else "no", *roots]
    place.exec(argv, what="handing the restored mail to the drill's mail user")
