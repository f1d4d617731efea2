"""Listing folders over helper processes gives exactly what one process lists, and survives a
helper that fails."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import pytest

from mailvault.mail import listing
from mailvault.mail.listing import list_many
from mailvault.mail.maildir import folder_files


def _tree(root: Path, folders: int = 9) -> list[Path]:
    made = []
    for n in range(folders):
        folder = root / f"box{n}" / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
        for i in range(n * 3):
            message = folder / ("cur" if i % 2 else "new") / f"17000000{n:02d}.M{i}P1.host,S={i}:2,S"
            message.write_bytes(b"x" * i)
            os.utime(message, (1_700_000_000 + i, 1_700_000_000 + i))
        made.append(folder)
    odd = made[1]
    (odd / "cur" / os.fsdecode(b"caf\xe9-latin1:2,")).write_bytes(b"odd")  # not UTF-8 on disk
    (odd / "cur" / "a link:2,").symlink_to("/etc/hostname")  # not a regular file: not a message
    (odd / "tmp" / "in-delivery").write_bytes(b"partial")
    return [*made, root / "missing" / "Maildir"]


def test_helpers_list_exactly_what_one_process_lists(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folders = _tree(tmp_path)
    alone = [folder_files(f) for f in folders]
    for processes in (2, 3):
        with caplog.at_level(logging.DEBUG, logger="mailvault.mail.listing"):
            assert list_many(folders, processes=processes, helpers_from=1) == alone
    assert "helper" not in caplog.text  # the helpers answered: nothing was listed again here
    assert sum(len(found.files) for found in alone) == sum(n * 3 for n in range(9)) + 1
    assert os.fsdecode(b"caf\xe9-latin1") in [base for base, _, _ in alone[1].files]


def test_few_folders_are_listed_without_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "HELPER", ("/nonexistent/python",))  # would fail if started
    folders = _tree(tmp_path)
    assert list_many(folders, processes=2, helpers_from=len(folders) + 1) == [folder_files(f) for f in folders]


@pytest.mark.parametrize(
    "helper",
    [
        (sys.executable, "-c", "import sys; sys.stdin.buffer.read(); sys.exit(5)"),  # fails
        (sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'not marshal')"),  # garbles its answer
        ("/nonexistent/python",),  # cannot start
    ],
)
def test_a_failing_helper_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, helper: tuple[str, ...]
) -> None:
    monkeypatch.setattr(listing, "HELPER", helper)
    folders = _tree(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="mailvault.mail.listing"):
        assert list_many(folders, processes=2, helpers_from=1) == [folder_files(f) for f in folders]
    assert "listing its share here" in caplog.text


def test_an_interrupted_listing_leaves_no_helper_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pidfile = tmp_path / "helper.pid"
    sleeper = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    monkeypatch.setattr(listing, "HELPER", (sys.executable, "-c", sleeper))

    def interrupted_once_the_helper_runs(folder: Path) -> object:
        deadline = time.monotonic() + 10
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(listing, "folder_files", interrupted_once_the_helper_runs)
    with pytest.raises(KeyboardInterrupt):
        list_many(_tree(tmp_path / "store"), processes=2, helpers_from=1)
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left sleeping


def test_prestarted_helpers_list_the_same_and_unused_ones_are_stopped(tmp_path: Path) -> None:
    folders = _tree(tmp_path)
    alone = [folder_files(f) for f in folders]
    warm = listing.Warm(listing.HELPER, 2)
    procs = list(warm.procs)
    try:
        assert list_many(folders, processes=2, helpers_from=1, warm=warm) == alone
        assert len(warm.procs) == 1  # one was handed its share; the other was not needed
    finally:
        warm.close()
    assert warm.procs == [] and all(proc.poll() is not None for proc in procs)
    # a warm helper of another kind is never handed listing work
    other = listing.Warm((sys.executable, "-S", "-c", "import sys; sys.stdin.buffer.read()"), 1)
    try:
        assert list_many(folders, processes=2, helpers_from=1, warm=other) == alone
        assert len(other.procs) == 1
    finally:
        other.close()
