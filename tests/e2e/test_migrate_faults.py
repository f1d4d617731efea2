"""`mailvault migrate run` when the destination drops mid-APPEND, for real: a TCP proxy between the
copier and a real Dovecot cuts it in the middle of a large message's literal, or swallows the server's
OK after it committed the APPEND. And a destination with a provider's caps (size, bytes a day)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mailvault.demo.imap_servers import message, old_provider, seed, this_host
from tests.e2e.raw_imap import imap
from tests.e2e.tcp_cutter import TcpCutter
from tests.e2e.test_migrate import NEW_USERS, USERS, Move, assert_same_mail
from tests.e2e.workspace import Workspace

USER = "alice@example.com"
BIG = 2 * 2**20  # the message whose APPEND is cut: its literal is far longer than CUT
CUT = 256 * 2**10  # bytes a connection carries to the destination before it is cut


@pytest.fixture
def move(local_ws: Workspace, tmp_path: Path) -> Iterator[Move]:
    """The two unlike servers of test_migrate, seeded, with one large message in Archive/2025.
    Their mail lives outside pytest's temp root: a pytest starting elsewhere on the machine resets
    that root to 0700, and the mail user then cannot reach its mailbox (seen: LSUB failing mid-test)."""
    ws = local_ws
    ws.generate()
    homes = Path(tempfile.mkdtemp(prefix="mv-mfaults-", dir="/tmp"))
    old = old_provider(homes / "old", USERS)
    new = this_host(homes / "new", NEW_USERS)
    try:
        seeded = seed(old, USER)
        client = imap(old, USER)
        client.append("Archive/2025", message(800, subject="the large one", size=BIG), flags=(b"\\Seen", b"$label4"))
        client.logout()
        seeded.folders["Archive/2025"].append(b"")
        ws.write_secret("alice.old", USERS[USER])
        ws.write_secret("alice.new", NEW_USERS[USER])
        yield Move(ws, old, new, seeded, tmp_path / "accounts.toml")
    finally:
        old.stop()
        new.stop()
        shutil.rmtree(homes, ignore_errors=True)


def through(move: Move, port: int) -> Move:
    """The accounts file with the destination reached at ``port`` (the proxy)."""
    move.accounts.write_text(
        f'[source]\nhost = "127.0.0.1"\nport = {move.old.port}\ntls = "none"\n\n'
        f'[destination]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n\n'
        f'[[accounts]]\nsource_user = "{USER}"\nsource_password_file = "{move.ws.secrets / "alice.old"}"\n'
        f'destination_user = "{USER}"\ndestination_password_file = "{move.ws.secrets / "alice.new"}"\n'
    )
    return replace(move, accounts=move.accounts)


def migrate_run(move: Move, *args: str) -> tuple[int, str, str]:
    proc = move.ws.cli("migrate", "run", str(move.accounts), *args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def reconnects(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "reconnecting" in line]


@pytest.mark.parametrize("where", ["mid-literal", "after-commit"])
def test_one_cut_mid_append_reconnects_and_ends_with_the_exact_set(move: Move, where: str) -> None:
    """Cut in the literal (the server stored nothing) or after the server's commit (it stored the
    batch, the copier never heard): the copier reconnects, and the identity match sees to it that
    the batch is there exactly once."""
    reply = b"APPENDUID" if where == "after-commit" else None
    with TcpCutter(move.new.port, after_bytes=CUT, on_reply=reply, times=1) as cutter:
        code, out, err = migrate_run(through(move, cutter.port), "--json")
    report = json.loads(out)
    assert cutter.cuts == 1
    assert code == 0 and report["ok"], (report, err)
    (line,) = reconnects(err)
    assert USER in line and "Archive/2025" in line, line
    (account,) = report["accounts"]
    archive = next(f for f in account["folders"] if f["source"] == "Archive/2025")
    if where == "after-commit":  # the batch the server committed was found there, not sent again
        assert archive["found_on_destination"] >= 1, archive
    assert account["copied"] + sum(f["found_on_destination"] for f in account["folders"]) == move.seeded.messages
    assert report["verify"][0]["extra"] == 0 and report["verify"][0]["missing"] == 0
    assert_same_mail(move)


def test_a_destination_that_keeps_dropping_ends_in_one_clear_line_and_a_rerun_completes(move: Move) -> None:
    with TcpCutter(move.new.port, after_bytes=CUT, times=None) as cutter:
        code, out, err = migrate_run(through(move, cutter.port), "--no-verify")
        assert code == 1 and cutter.cuts == 5, (out, err)  # the first attempt and 4 reconnections
        (error,) = [line.strip() for line in out.splitlines() if "ERROR" in line]
        assert USER in error and "Archive/2025" in error and "run again" in error, error
        assert len(reconnects(err)) == 4 and all("Archive/2025" in line for line in reconnects(err))

        with sqlite3.connect(move.ws.state / "migrate.db") as db:  # all the rest was copied and recorded
            rows = dict(db.execute("SELECT folder, count(*) FROM copied GROUP BY folder").fetchall())
        expected = {f: len(m) for f, m in move.seeded.folders.items() if m and f != "Archive/2025"}
        assert {f: n for f, n in rows.items() if f != "Archive/2025"} == expected
        assert rows.get("Archive/2025", 0) < len(move.seeded.folders["Archive/2025"])

        cutter.stop_cutting()
        code, out, err = migrate_run(move, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], (report, err)
    assert report["verify"][0]["extra"] == 0 and report["verify"][0]["missing"] == 0
    assert_same_mail(move)


def test_a_capped_destination_skips_what_is_too_large_pauses_at_the_daily_cap_and_resumes(
    move: Move, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copier with a provider's caps, against the real servers (in-process, the caps made small:
    1 MiB a message, 6 KiB a day). The large message is skipped with its reason; the copy pauses
    before the cap, having recorded what it uploaded; with room again, a re-run goes on, no duplicate."""
    from mailvault.imap import folders
    from mailvault.migrate.accounts import load_accounts
    from mailvault.migrate.copy import run_account
    from mailvault.migrate.state import MigrationState
    from mailvault.migrate.verify import verify_account

    small = replace(folders.PRESETS["gmail"], max_message_bytes=2**20, max_upload_bytes_per_day=6 * 2**10)
    monkeypatch.setitem(folders.PRESETS, "gmail", small)
    through(move, move.new.port)
    move.accounts.write_text(
        move.accounts.read_text().replace('tls = "none"\n\n[[', 'tls = "none"\npreset = "gmail"\n\n[[')
    )
    spec = load_accounts(move.accounts)
    assert spec.destination.preset == "gmail" and spec.source.preset is None
    state = MigrationState(move.ws.root / "caps.db")

    first = run_account(spec, spec.accounts[0], state)
    assert first.error is None and first.paused is not None and "run again after" in first.paused, first
    assert 0 < first.bytes <= 6 * 2**10 and 0 < first.copied < move.seeded.messages - 1

    monkeypatch.setitem(folders.PRESETS, "gmail", replace(small, max_upload_bytes_per_day=10**9))  # a day later
    second = run_account(spec, spec.accounts[0], state)
    assert second.error is None and second.paused is None, second
    skipped = [s for f in first.folders + second.folders for s in f.skipped]
    assert {s.folder for s in skipped} == {"Archive/2025"} and "not attempted" in skipped[0].reason
    check = verify_account(spec, spec.accounts[0])
    assert sum(f.extra for f in check.folders) == 0, "nothing copied twice"
    assert [(f.source, f.missing) for f in check.folders if f.missing] == [("Archive/2025", 1)], "only the large one"
