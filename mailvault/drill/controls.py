"""The drill's negative controls: proof that the verifier notices damage.

After a verification that passed, one small restored folder is copied seven times (cheaply: see
``damage.py``), each copy is damaged the way real failures look, and the same checks (the lint of
the files, and the IMAP check through the drill's running Dovecot) are run on every copy. Each
damage must make them fail. An eighth, undamaged copy must pass: otherwise the controls measure
noise and say so. A damage the checks miss is named in a warning: the verifier is blind to it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mailvault.drill import serve
from mailvault.drill.damage import DAMAGES, DamageTarget, scratch_copy
from mailvault.drill.imap_check import check, size_findings
from mailvault.drill.judge import Finding, Level
from mailvault.drill.lint import lint_mail, planned_folders
from mailvault.mail.maildir import folder_files
from mailvault.mail.maildir_flags import info_letters
from mailvault.mail.manifest_model import FolderEntry, MailboxEntry, Manifest, SampleEntry
from mailvault.mail.restore_plan import folder_dir, restored

SCRATCH = ".mailvault-controls"  # under the restore root; removed with the drill's work dir
DOMAIN = "controls.invalid"
LOOK_AT = 25  # folders listed at most when looking for one with a flagged message


@dataclass(frozen=True)
class Candidate:
    mailbox: MailboxEntry
    entry: FolderEntry
    sample: SampleEntry
    target: DamageTarget


@dataclass
class Control:
    damage: str  # "a message removed", or "none" for the undamaged copy
    done: str = ""  # what was done to the copy
    caught_by: list[str] = field(default_factory=list)  # the findings it raised
    not_staged: str = ""  # why this damage could not be made here

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


@dataclass
class ControlsResult:
    where: str = ""  # "mailbox folder" the copies were made of
    controls: list[Control] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def staged(self) -> list[Control]:
        return [c for c in self.controls if c.damage != "none" and not c.not_staged]

    def summary(self) -> str:
        staged = self.staged
        return f"{sum(c.caught for c in staged)}/{len(staged)}"

    def as_dict(self) -> dict[str, Any]:
        """What the report keeps: ``caught`` ("7/7"), ``where``, and each control."""
        return {"caught": self.summary(), "where": self.where, "controls": [
            {"damage": c.damage, "done": c.done, "caught": c.caught, "caught_by": c.caught_by[:3],
             "not_staged": c.not_staged} for c in self.controls
        ]}  # fmt: skip


def mailboxes() -> list[tuple[str, str]]:
    """(login, mailbox path) of each control's copy: the drill's Dovecot is told them when it is given
    the restored mail (see serve.serve)."""
    return [(f"control-{n}@{DOMAIN}", f"/{SCRATCH}/c{n}") for n in range(len(DAMAGES) + 1)]


def choose(root: Path, manifest: Manifest) -> Candidate | None:
    """The smallest folder with two messages or more, one of them sampled, whose manifest entry can be
    checked in full; one that holds a flagged message is preferred (the flag control needs one)."""
    sampled = {(s.mailbox, s.folder): s for s in manifest.samples}
    ranked = sorted(
        ((m, e) for m in manifest.mailboxes for e in m.folders
         if e.messages >= 2 and e.digest and (m.name, e.name) in sampled),
        key=lambda pair: pair[1].messages,
    )  # fmt: skip
    fallback: Candidate | None = None
    for mailbox, entry in ranked[:LOOK_AT]:
        path = restored(root, folder_dir(mailbox.path, entry.name, manifest.folder_layout))
        sample = sampled[(mailbox.name, entry.name)]
        listed = folder_files(path).files  # (base name, size, file)
        files = [rel for _base, _size, rel in listed]
        mine = next((rel for base, _size, rel in listed if base == sample.base), None)
        other = next((rel for rel in files if rel != mine), None)
        if mine is None or other is None:
            continue
        flagged = next((rel for rel in files if info_letters(rel.rpartition("/")[2])), None)
        found = Candidate(mailbox, entry, sample, DamageTarget(path, entry.name == "INBOX", mine, other, flagged))
        if flagged is not None:
            return found
        fallback = fallback or found
    return fallback


def stage(root: Path, manifest: Manifest, chosen: Candidate) -> tuple[Manifest, list[Control]]:
    """One scratch mailbox per control under ``root``/SCRATCH, each holding a copy of the chosen
    folder, damaged as its control says; the manifest that describes the undamaged copies."""
    base = root / SCRATCH
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o711, parents=True)
    controls = [Control("none"), *(Control(name) for name in DAMAGES)]
    entries, samples = [], []
    for control, (name, path) in zip(controls, mailboxes(), strict=True):
        scratch = restored(root, folder_dir(path, chosen.entry.name, manifest.folder_layout))
        scratch_copy(chosen.target.folder, scratch)
        entries.append(MailboxEntry(name, path, [chosen.entry]))
        samples.append(replace(chosen.sample, mailbox=name))
        control.not_staged = _cannot(control.damage, chosen)
        if control.damage != "none" and not control.not_staged:
            try:
                control.done = DAMAGES[control.damage](scratch, replace(chosen.target, folder=scratch))
            except (LookupError, OSError) as exc:
                control.not_staged = str(exc)
    stat = chosen.target.folder.stat()
    if os.geteuid() == 0:  # Dovecot reads the copies as the mail user
        _give(base, stat.st_uid, stat.st_gid)
    copies = replace(manifest, mailboxes=entries, samples=samples, roots=[f"/{SCRATCH}"])
    return copies, controls


def _cannot(damage: str, chosen: Candidate) -> str:
    """Why ``damage`` cannot be staged on the chosen folder ("" when it can): what the manifest does not
    record cannot be checked, so a copy missing it would not be a fair test."""
    if damage == "a flag lost" and not chosen.entry.flags:
        return "the snapshot's manifest records no flags (made by an older mailvault)"
    if damage == "a flag lost" and chosen.target.flagged is None:
        return "no message of the folder has a flag"
    if damage in ("UIDVALIDITY changed", "dovecot-uidlist dropped") and chosen.entry.uidvalidity is None:
        return "the manifest records no UIDVALIDITY for the folder"
    return ""


def _give(base: Path, uid: int, gid: int) -> None:
    """What staging made (directories, copied and damaged files) to ``uid``:``gid``; the hard-linked
    message files are the restored tree's own and keep their owner."""
    for path in base.rglob("*"):
        if path.is_dir() or path.lstat().st_nlink == 1:
            os.lchown(path, uid, gid)


def judge(controls: list[Control], findings: list[Finding], copies: Manifest, where: str) -> ControlsResult:
    """Which control's checks failed, and what that says about the verifier."""
    result = ControlsResult(where, controls)
    for control, mailbox in zip(controls, copies.mailboxes, strict=True):
        mark = f"{mailbox.name} "
        control.caught_by = [f.message for f in findings if f.level != "pass" and mark in f.message + " "]
    undamaged = controls[0]
    if undamaged.caught:
        result.findings.append(Finding("warn", "controls", (
            f"the negative controls are inconclusive: an undamaged copy of {where} did not pass"
            f" ({undamaged.caught_by[0]})"
        )))  # fmt: skip
        return result
    for control in result.staged:
        if not control.caught:
            result.findings.append(Finding("warn", "controls", (
                f"the verifier did not notice {control.damage} ({control.done}) in a copy of {where}:"
                " a real loss of that kind would pass unseen"
            )))  # fmt: skip
    skipped = [f"{c.damage}: {c.not_staged}" for c in controls if c.not_staged]
    note = f"; not staged: {'; '.join(skipped)}" if skipped else ""
    level: Level = "pass" if all(c.caught for c in result.staged) else "warn"
    result.findings.append(Finding(level, "controls", (
        f"verifier sensitivity: {result.summary()} damages caught on copies of {where}{note}"
    )))  # fmt: skip
    return result


def run_controls(work: Path, manifest: Manifest, port: int) -> ControlsResult | None:
    """Stage the controls in the restored tree, check them through the drill's Dovecot (which was
    given their logins with the restored mail: :func:`mailboxes`) and judge; None when no folder of
    the snapshot can carry them (no folder of two messages with a sampled one)."""
    root = work / "restore"
    chosen = choose(root, manifest)
    if chosen is None:
        return None
    where = f"{chosen.mailbox.name} {chosen.entry.display}"
    copies, controls = stage(root, manifest, chosen)
    return judge(controls, checks(root, copies, port, serve.password(work)), copies, where)


def checks(root: Path, copies: Manifest, port: int, password: str) -> list[Finding]:
    """The drill's own checks, run on the copies: the lint of their files, then IMAP."""
    lint = lint_mail(root, copies)
    outcome = check(port, password, copies, planned_folders(root, copies))
    return [*lint.findings, *outcome.findings, *size_findings(outcome.sizes, lint.folders)]
