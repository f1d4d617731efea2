"""The recovery kit end to end: export, show, verify against the real S3 repository, and a
bare machine that has nothing but the kit and its passphrase."""

from __future__ import annotations

import json
import stat

from tests.e2e.workspace import Workspace

PASSPHRASE = "kit passphrase: four random words"


def backed_up(ws: Workspace) -> Workspace:
    ws.generate()
    ws.cli("init")
    ws.cli("backup")
    ws.pass_file = ws.write_secret("kit-passphrase", PASSPHRASE)  # type: ignore[attr-defined]
    return ws


def test_export_show_verify_and_a_bare_machine(ws: Workspace) -> None:
    backed_up(ws)
    assert ws.identity is not None
    kit = ws.root / "kit.bin"
    pf = str(ws.pass_file)  # type: ignore[attr-defined]
    never = ws.cli("kit", "status", check=False)
    assert never.returncode == 1 and "no recovery kit was ever exported" in never.stdout
    assert "recovery kit: no recovery kit was ever exported" in ws.cli("backup").stderr  # the nightly run says so

    exported = ws.cli_json("kit", "export", "--out", str(kit), "--passphrase-file", pf)
    assert exported["ok"] and exported["repository"] == ws.url and not exported["armored"]
    assert stat.S_IMODE(kit.stat().st_mode) == 0o600
    assert ws.password.encode() not in kit.read_bytes()
    assert ws.cli("kit", "status").stdout.startswith("OK: ")
    assert "recovery kit" not in ws.cli("backup").stderr

    shown = ws.cli_json("kit", "show", str(kit), "--passphrase-file", pf)
    assert shown["repository"] == ws.url and shown["password"] == "***"
    assert shown["s3"]["secret_access_key"] == "***"
    assert shown["s3"]["access_key_id"].startswith(ws.identity.access_key[:4])

    verified = ws.cli_json("kit", "verify", str(kit), "--passphrase-file", pf)
    repo_id = json.loads(ws.restic("cat", "config"))["id"]
    assert verified["repository_id"] == repo_id and verified["snapshots"] == 3

    # a bare machine: no config, no password file, no S3 key files
    for name in ("repository.key", "s3-id", "s3-secret"):
        (ws.secrets / name).rename(ws.secrets / f"{name}.gone")
    listed = json.loads(ws.bare_cli("--kit", str(kit), "--kit-passphrase-file", pf, "snapshots", "--json").stdout)
    assert len(listed) == 3 and listed[0]["messages"] == 80
    checked = json.loads(ws.bare_cli("check", "--kit", str(kit), "--kit-passphrase-file", pf, "--json").stdout)
    assert checked["ok"] is True
    without = ws.bare_cli("snapshots", check=False)
    assert without.returncode == 2 and "no-such-config.toml does not exist" in without.stderr


def test_armored_kit_round_trip_and_a_typo(ws: Workspace) -> None:
    backed_up(ws)
    kit = ws.root / "kit.txt"
    pf = str(ws.pass_file)  # type: ignore[attr-defined]
    ws.cli("kit", "export", "--armor", "--out", str(kit), "--passphrase-file", pf)
    text = kit.read_text()
    assert text.startswith("-----BEGIN MAILVAULT RECOVERY KIT-----") and text.isascii()
    assert ws.cli_json("kit", "verify", str(kit), "--passphrase-file", pf)["snapshots"] == 1
    lines = text.splitlines()
    where = next(i for i, line in enumerate(lines) if line.startswith("03  "))
    lines[where] = lines[where][:4] + ("Z" if lines[where][4] != "Z" else "Y") + lines[where][5:]
    typo = ws.root / "typo.txt"
    typo.write_text("\n".join(lines) + "\n")
    proc = ws.cli("kit", "verify", str(typo), "--passphrase-file", pf, check=False)
    assert proc.returncode == 1
    assert f"kit line 3 (line {where + 1} of the file): its checksum does not match" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_kits_and_bad_passphrases_fail_cleanly(ws: Workspace) -> None:
    backed_up(ws)
    kit = ws.root / "kit.bin"
    pf = str(ws.pass_file)  # type: ignore[attr-defined]
    ws.cli("kit", "export", "--out", str(kit), "--passphrase-file", pf)
    before = kit.read_bytes()
    again = ws.cli("kit", "export", "--out", str(kit), "--passphrase-file", pf, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr and kit.read_bytes() == before

    short = ws.write_secret("short-passphrase", "short")
    refused = ws.cli("kit", "export", "--out", str(ws.root / "k2"), "--passphrase-file", str(short), check=False)
    assert refused.returncode == 1 and "at least 12" in refused.stderr and not (ws.root / "k2").exists()

    wrong = ws.write_secret("wrong-passphrase", "not the kit passphrase at all")
    proc = ws.cli("kit", "verify", str(kit), "--passphrase-file", str(wrong), check=False)
    assert proc.returncode == 1 and "wrong passphrase" in proc.stderr

    cut = ws.root / "cut.bin"
    cut.write_bytes(before[: len(before) // 2])
    proc = ws.cli("kit", "show", str(cut), "--passphrase-file", pf, check=False)
    assert proc.returncode == 1 and "damaged" in proc.stderr

    flipped = bytearray(before)
    flipped[len(flipped) // 2] ^= 0x10
    (ws.root / "flipped.bin").write_bytes(bytes(flipped))
    proc = ws.cli("kit", "verify", str(ws.root / "flipped.bin"), "--passphrase-file", pf, check=False)
    assert proc.returncode == 1 and "damaged" in proc.stderr and "Traceback" not in proc.stderr

    no_tty = ws.cli("kit", "show", str(kit), check=False)
    assert no_tty.returncode == 2 and "--passphrase-file" in no_tty.stderr


def test_on_a_terminal_the_passphrase_is_asked_twice_and_a_mismatch_writes_nothing(local_ws: Workspace) -> None:
    import os
    import sys

    from tests.e2e.pty_run import run_on_pty

    local_ws.generate()
    kit = local_ws.root / "kit.bin"
    if local_ws.watch is not None:
        local_ws.watch.secret(PASSPHRASE)
    argv = [
        sys.executable,
        "-m",
        "mailvault",
        "--config",
        str(local_ws.config_path),
        "kit",
        "export",
        "--out",
        str(kit),
    ]
    env = dict(os.environ)
    code, output = run_on_pty(
        argv, {"Kit passphrase:": PASSPHRASE, "The same passphrase again:": PASSPHRASE + " typo"}, env=env
    )
    assert code == 2 and "the two passphrases differ; nothing was written" in output
    assert not kit.exists() and PASSPHRASE not in output  # not echoed
    code, output = run_on_pty(argv, {"Kit passphrase:": PASSPHRASE, "The same passphrase again:": PASSPHRASE}, env=env)
    assert code == 0 and "recovery kit written" in output and kit.exists()
