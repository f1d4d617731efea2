from __future__ import annotations

import os
from pathlib import Path

from mailvault.drill import secret_files


def test_the_drills_secrets_live_in_ram_and_go_with_forget(tmp_path: Path) -> None:
    work = tmp_path / "drill-1"
    work.mkdir()
    link = secret_files.make(work)
    held = Path(os.readlink(link))
    assert held.parent == Path("/dev/shm") and oct(held.stat().st_mode & 0o777) == "0o700"
    (link / "password").write_text("pw")
    assert (held / "password").read_text() == "pw"  # written through the link, into RAM
    assert secret_files.make(work) == link  # (idempotent)
    secret_files.forget(work)
    assert not held.exists() and not link.is_symlink() and list(link.iterdir()) == []  # (still mountable)
    secret_files.forget(work)  # (twice is harmless: the restore forgets them, then the drill's end)
