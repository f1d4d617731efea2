"""The negative controls' copies and damages, and the lint's half of catching them (no servers: the
IMAP half, and the byte flip that only it can see, are in tests/e2e/test_drill.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailvault.demo import mailstore
from mailvault.drill import controls
from mailvault.drill.damage import DAMAGES
from mailvault.drill.judge import Finding
from mailvault.drill.lint import lint_mail
from mailvault.mail.manifest import scan
from mailvault.mail.manifest_model import Manifest

ROOT = Path("/")  # the store is scanned where it is: "restored" paths are the originals


def store(tmp_path: Path) -> Manifest:
    spec = mailstore.StoreSpec(domains=("example.com",), users=("alice",), folders=("INBOX", "Sent"),
                               messages_per_folder=4, attachment_every=0)  # fmt: skip
    mailstore.generate(tmp_path / "vmail", spec)
    return scan([tmp_path / "vmail"], layout="%d/%n/Maildir", folder_layout="maildir++", sample_size=8).manifest


def snapshot_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_chosen_folder_is_small_sampled_and_holds_a_flagged_message(tmp_path: Path) -> None:
    manifest = store(tmp_path)
    chosen = controls.choose(ROOT, manifest)
    assert chosen is not None and chosen.entry.messages >= 2
    assert chosen.target.flagged is not None and chosen.target.sampled != chosen.target.other
    assert chosen.sample.mailbox == chosen.mailbox.name and chosen.sample.folder == chosen.entry.name


def test_the_copies_leave_the_restored_tree_as_it_was_and_the_lint_catches_six_damages(tmp_path: Path) -> None:
    manifest = store(tmp_path)
    before = snapshot_of(tmp_path / "vmail")
    names_before = sorted(str(p) for p in (tmp_path / "vmail").rglob("*"))
    chosen = controls.choose(ROOT, manifest)
    assert chosen is not None
    stage_root = tmp_path / "restore"
    # the copies go under the restore root; stage them beside the store on the same filesystem
    copies, staged = controls.stage(stage_root, manifest, chosen)
    assert snapshot_of(tmp_path / "vmail") == before, "no damage reached the restored files"
    assert sorted(str(p) for p in (tmp_path / "vmail").rglob("*")) == names_before
    assert [c.damage for c in staged] == ["none", *DAMAGES] and not any(c.not_staged for c in staged)
    linked = next(p for p in (stage_root / controls.SCRATCH / "c0").rglob("*") if p.is_file() and ":2," in p.name)
    assert os.stat(linked).st_nlink >= 2, "message files are hard-linked, not copied"

    found = lint_mail(stage_root, copies).findings
    caught = {
        c.damage for c, m in zip(staged, copies.mailboxes, strict=True) if any(m.name in f.message for f in found)
    }
    assert "none" not in caught, [f.message for f in found if copies.mailboxes[0].name in f.message]
    assert caught == set(DAMAGES) - {"a byte flipped in a sampled message"}, "same size, same name: only IMAP sees it"


def test_a_damage_the_checks_miss_is_a_warning_that_names_it() -> None:
    names = ["none", *DAMAGES]
    staged = [controls.Control(name, done="did it") for name in names]
    copies = Manifest("t", "h", [], [controls.MailboxEntry(f"control-{n}@x", f"/c{n}", []) for n in range(8)])
    findings = [Finding("fail", "lint", f"control-{n}@x INBOX: broken") for n in range(2, 8)]  # 1 is missed
    result = controls.judge(staged, findings, copies, "alice@example.com INBOX")
    assert result.summary() == "6/7"
    warned = [f.message for f in result.findings if f.level == "warn"]
    assert any("did not notice a message removed (did it)" in w for w in warned), warned
    assert any("verifier sensitivity: 6/7" in w for w in warned)


def test_an_undamaged_copy_that_fails_makes_the_controls_inconclusive_not_a_pass() -> None:
    staged = [controls.Control(name) for name in ["none", *DAMAGES]]
    copies = Manifest("t", "h", [], [controls.MailboxEntry(f"control-{n}@x", f"/c{n}", []) for n in range(8)])
    findings = [Finding("fail", "verify", f"control-{n}@x INBOX: 0 messages") for n in range(8)]
    result = controls.judge(staged, findings, copies, "a INBOX")
    assert [f.level for f in result.findings] == ["warn"] and "inconclusive" in result.findings[0].message


@pytest.mark.parametrize(("field", "damage"), [("flags", "a flag lost"), ("uidvalidity", "UIDVALIDITY changed")])
def test_what_the_manifest_does_not_record_is_not_staged(tmp_path: Path, field: str, damage: str) -> None:
    from dataclasses import replace

    manifest = store(tmp_path)
    chosen = controls.choose(ROOT, manifest)
    assert chosen is not None
    blank = replace(chosen, entry=replace(chosen.entry, **{field: "" if field == "flags" else None}))
    _copies, staged = controls.stage(tmp_path / "restore", manifest, blank)
    assert next(c for c in staged if c.damage == damage).not_staged
