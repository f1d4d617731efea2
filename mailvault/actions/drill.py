"""`mailvault restore-test`: restore a snapshot into a throwaway container, serve it with Dovecot,
prove over IMAP that it matches the manifest, and time it against the RTO and RPO targets.

Every phase is timed; whatever breaks becomes a finding of the report, which is always written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailvault import execute, netprobe
from mailvault.actions import drill_coverage, records
from mailvault.actions.after_job import after_job
from mailvault.actions.drill_upload import store_beside_backups
from mailvault.actions.engine import Engine
from mailvault.actions.prune import retention
from mailvault.actions.repo_stats import repository_bytes
from mailvault.actions.snapshot_pick import kept_by_retention, list_snapshots, pick_for_drill
from mailvault.config.schema import Config
from mailvault.drill import canary_dkim, dkim, image, secret_files, serve
from mailvault.drill.canary import CanaryResult, Ports, Signer, restored_postfix, run_canary
from mailvault.drill.config_check import check_configs
from mailvault.drill.controls import ControlsResult, run_controls
from mailvault.drill.controls import mailboxes as control_mailboxes
from mailvault.drill.judge import Finding, Level, band, largest_gap, verdict
from mailvault.drill.lint import LintResult, lint_certificates, lint_mail, planned_folders, restored_uidvalidity
from mailvault.drill.place import RESTORE_IN, RUN_IN, SECRETS_IN, ContainerPlace, LocalPlace, Place
from mailvault.drill.record import record_findings
from mailvault.drill.report import PHASES, DrillReport, write_reports
from mailvault.drill.restore_script import restore_script
from mailvault.drill.sandbox import Sandbox, kept_runs, pick_cli, remove_expired, require_daemon
from mailvault.errors import CommandFailed, MailvaultError
from mailvault.humanize import human_duration
from mailvault.keys.secrets import resolve
from mailvault.keys.sources import password_source, s3_credentials
from mailvault.mail.manifest_model import UNRECONCILED, Manifest
from mailvault.mail.restore_plan import restored
from mailvault.mail.restore_split import precreate, split
from mailvault.monitor.job import job_run
from mailvault.runtime import check_interrupt
from mailvault.state.paths import StatePaths, write_atomic
from mailvault.storage.location import local_path
from mailvault.tools.container import Mount, owner_of
from mailvault.tools.restic_output import Snapshot

if TYPE_CHECKING:
    from mailvault.drill.imap_check import ImapOutcome

logger = logging.getLogger(__name__)
Say = Callable[[str], None]
GAP_WINDOW = timedelta(days=30)
DNS_TIMEOUT = 3.0  # seconds for one DNS answer without a [dns] section


@dataclass
class _State:
    findings: list[Finding] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    snap: Snapshot | None = None
    manifest: Manifest | None = None
    lint: LintResult | None = None
    t_ready: float | None = None
    samples: int = 0
    image: str = ""
    image_built: bool = False
    runtime: str = ""
    gap: timedelta | None = None
    failed_in: str | None = None  # the phase whose error ended the drill (phases may overlap)
    controls: ControlsResult | None = None
    t0: float = 0.0  # time.monotonic() at the drill's start
    canary: CanaryResult | None = None
    engine: Engine | None = None  # restic for this repository, opened with the snapshot
    read_bytes: int | None = None  # what restoring the snapshot downloads (restic stats --mode raw-data)
    paths: StatePaths | None = None
    run_id: int = 0
    share: drill_coverage.CoverageShare | None = None  # the coverage share this drill reads back
    share_counts: tuple[int, int, int] = (0, 0, 0)  # of it: matched, absent, differing
    coverage: dict[str, Any] = field(default_factory=dict)


def restore_test(
    config: Config,
    *,
    snapshot: str = "latest",
    runtime: str | None = None,
    keep_on_failure_hours: float | None = None,
    say: Say | None = None,
) -> DrillReport:
    """Run the drill and return its report (also written to the state dir). Never raises for a failed
    drill: the failure is the report's verdict and findings."""
    say = say or (lambda line: logger.info("%s", line))
    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    st = _State(t0=t0)
    keep = config.drill.keep_on_failure_hours if keep_on_failure_hours is None else keep_on_failure_hours
    with job_run(config, "drill", own_lock=True) as run:
        work = run.paths.root / "drills" / str(run.id)
        st.paths, st.run_id = run.paths, run.id
        kept = interrupted = False
        try:
            kept = _run(config, st, work, run.id, snapshot, runtime or config.drill.runtime, keep, say)
        except MailvaultError as exc:
            phase = st.failed_in or "snapshot"
            evidence = exc.stderr_tail[-1:] if isinstance(exc, CommandFailed) else exc.details[-1:]
            st.findings.append(Finding("fail", phase, exc.one_line() + "".join(f" ({line})" for line in evidence)))
        except BaseException:
            interrupted = True
            raise
        finally:
            secret_files.forget(work)
            if interrupted:
                remove_tree(work)
            elif not kept:
                discard_tree(work)
        report = _report(config, st, run.id, started_at, t0)
        report.paths = write_reports(run.paths.root / "reports", report)
        if config.drill.upload_report:  # after the local copy: whatever happens, that one is written
            say("drill: storing the report beside the backups...")
            store_beside_backups(config, report)
            report.paths = write_reports(run.paths.root / "reports", report)
        run.summary = report.summary()
        if report.verdict == "fail":
            run.failure = "drill failed: " + "; ".join(f.message for f in report.findings if f.level == "fail")[:500]
    after_job(config, "drill")
    return report


@contextmanager
def _phase(st: _State, name: str, doing: str, say: Say, *, blame: bool = True) -> Iterator[None]:
    """Time one phase (a phase done in two parts adds them up), saying what it does. With ``blame``, an
    error raised here is the phase's; a phase run in a worker thread is blamed where the main thread
    takes its result."""
    say(f"drill: {name}: {doing}...")
    began = time.monotonic()
    try:
        check_interrupt()
        yield
        check_interrupt()
    except BaseException:
        if blame:
            st.failed_in = name
        raise
    finally:
        st.phases[name] = round(st.phases.get(name, 0.0) + time.monotonic() - began, 3)


def _run(config: Config, st: _State, work: Path, run_id: int, spec: str, runtime: str, keep: float, say: Say) -> bool:
    """The phases; return True when a failed drill's container (and its files) are kept.

    restic lists the snapshots and reads the manifest while the container starts: neither needs the
    other. The container goes on leaving whatever happened (kept if asked), before the pool is shut."""
    with ThreadPoolExecutor(max_workers=1) as pool, contextlib.ExitStack() as stack:
        picked = pool.submit(_snapshot, config, st, spec, say)
        try:
            place, sandbox = _container(config, st, work, run_id, runtime, keep, say, stack)
        except BaseException:
            picked.cancel()
            raise
        try:
            snap, manifest = picked.result()
        except BaseException:
            st.failed_in = "snapshot"
            if sandbox is not None:  # nothing was restored in it: nothing to keep for inspection
                sandbox.keep_hours = 0
            raise
        _inside(config, st, place, work, snap, manifest, say)
        if sandbox is None:
            return False
        sandbox.failed = verdict(st.findings) == "fail"
        return sandbox.failed and keep > 0


def _snapshot(config: Config, st: _State, spec: str, say: Say) -> tuple[Snapshot, Manifest]:
    """Pick the snapshot, measure the gaps between snapshots, read its manifest (in a worker thread)."""
    with _phase(st, "snapshot", "finding it and reading its manifest", say, blame=False):
        engine = st.engine = Engine.open(config)
        engine.require_reachable()
        snaps = list_snapshots(engine)
        kept = partial(kept_by_retention, engine, retention(config))
        st.snap = pick_for_drill(snaps, spec, now=datetime.now(UTC), kept=kept)
        st.gap = largest_gap([s.time for s in snaps], now=datetime.now(UTC), window=GAP_WINDOW)
        st.manifest = records.read(engine, st.snap)
        st.findings += record_findings(st.manifest, st.snap.short_id)
    return st.snap, st.manifest


def _container(
    config: Config,
    st: _State,
    work: Path,
    run_id: int,
    runtime: str,
    keep: float,
    say: Say,
    stack: contextlib.ExitStack,
) -> tuple[Place, Sandbox | None]:
    """Start the place the drill runs in (its removal or stop registered on ``stack``)."""
    with _phase(st, "container", "starting the throwaway container", say):
        if runtime == "local":  # here: private namespaces on this host
            sweep_work_dirs(work.parent, keep={work.name})
            _prepare(config, work)
            local = LocalPlace(work)
            stack.callback(local.stop)
            st.runtime = "local (unshare: private mount and PID namespaces on this host)"
            return local, None
        cli = pick_cli(runtime)
        require_daemon(cli)
        owner = owner_of(str(config.state.dir.resolve()))
        remove_expired(cli, owner)
        sweep_work_dirs(work.parent, keep=kept_runs(cli, owner) | {work.name})
        st.runtime = cli
        st.image, st.image_built = image.ensure(cli)
        if st.image_built:
            st.findings.append(Finding("pass", "container", f"built the missing restore-target image {st.image}"))
        mounts = _prepare(config, work)
        sandbox = stack.enter_context(Sandbox(cli, st.image, run_id, mounts, owner=owner, keep_hours=keep))
        return ContainerPlace(sandbox), sandbox


def _prepare(config: Config, work: Path) -> list[Mount]:
    """The drill's directories: the restore target, the secrets (0600 files), the Dovecot run dir."""
    for sub in ("", "restore", "run"):
        (work / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    secret_files.make(work)  # in RAM where the host has /dev/shm
    os.chmod(work / "run", 0o755)  # Dovecot's unprivileged processes need to reach their sockets
    repo = config.repository
    write_atomic(work / "secrets" / "password", resolve(password_source(repo)) + "\n")
    creds = s3_credentials(repo)
    if creds is not None:
        write_atomic(work / "secrets" / "s3-id", creds.access_key_id + "\n")
        write_atomic(work / "secrets" / "s3-secret", creds.secret_access_key + "\n")
    mounts = [
        Mount(str(work / "restore"), RESTORE_IN),
        Mount(str(work / "secrets"), SECRETS_IN, read_only=True),
        Mount(str(work / "run"), RUN_IN),
    ]
    local = local_path(repo.url)
    if local is not None:  # a local repository is read where it is
        mounts.append(Mount(str(local.resolve()), str(local.resolve()), read_only=True))
    return mounts


def remove_tree(path: Path) -> None:
    """Delete a restored tree: `rm -rf` takes about half the time of shutil.rmtree on 50,000 files."""
    try:
        execute.run(
            ("rm", "-rf", "--one-file-system", "--", str(path)), what="removing the drill's files", timeout=3600
        )
    except MailvaultError as exc:
        logger.error("could not remove %s: %s", path, exc.one_line())
        shutil.rmtree(path, ignore_errors=True)


def discard_tree(path: Path) -> None:
    """Move a restored tree aside and delete it in a detached process: the report need not wait for
    tens of thousands of unlinks (seconds on a slow disk). What a crash leaves is swept next time."""
    if not path.exists():
        return
    trash = path if path.name.startswith(".trash-") else path.with_name(f".trash-{path.name}")
    try:
        path.rename(trash)
        execute.detach(("rm", "-rf", "--one-file-system", "--", str(trash)))
    except (OSError, MailvaultError) as exc:
        logger.warning("could not delete %s in the background (%s); deleting it now", path, exc)
        remove_tree(trash if trash.exists() else path)


def sweep_work_dirs(drills: Path, *, keep: set[str]) -> None:
    """Remove the work dirs (restored mail, secret files) of drills killed before they could clean up."""
    for stale in (p for p in drills.iterdir() if p.is_dir() and p.name not in keep) if drills.is_dir() else []:
        if not stale.name.startswith(".trash-"):  # (those are being deleted, or were when the host went down)
            logger.info("removing the files of an earlier drill that did not end cleanly: %s", stale)
        secret_files.forget(stale)
        discard_tree(stale)


def _inside(config: Config, st: _State, place: Place, work: Path, snap: Snapshot, manifest: Manifest, say: Say) -> None:
    names = list(config.drill.dkim)
    timeout = config.dns.timeout if config.dns is not None else DNS_TIMEOUT
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as dns:  # DNS answers while restic restores
        published = [dns.submit(dkim.look_up, n, config.drill_resolvers, timeout=timeout) for n in names]
        # Dovecot starts while restic restores; nobody logs in before the check
        with _phase(
            st, "serve", "starting Dovecot in the container (it opens no mailbox before the restore ends)", say
        ):
            port, lmtp_port = serve.start(place, work, lmtp=config.drill.canary)
        if _restore(config, st, place, work, snap, manifest, say):
            answers = [p.result() for p in published]
            _share(config, st, work, snap)
            _check(config, st, place, work, snap, manifest, say, answers, port)
            if st.share is not None and st.paths is not None:
                st.findings += drill_coverage.conclude(config, st.paths, st.share, st.share_counts, st.run_id, snap)
                st.coverage = {"share": st.share.slot + 1, **st.share.coverage.summary()}
            read = dns.submit(repository_bytes, st.engine, snap.id)  # (after the RTO: it competes with nothing)
            if config.drill.controls and not any(f.level == "fail" for f in st.findings):
                _controls(st, work, manifest, say, port)
            if lmtp_port is not None:
                ports = Ports(netprobe.free_port(), lmtp_port, port)
                _canary(config, st, place, work, (snap, manifest, answers), say, ports)
            st.read_bytes = read.result()


def _restore(
    config: Config, st: _State, place: Place, work: Path, snap: Snapshot, manifest: Manifest, say: Say
) -> bool:
    """restic restores the snapshot inside the place, in shares side by side (``repository.restore_processes``);
    False (and a finding) when it fails."""
    with _phase(st, "restore", f"restic restores snapshot {snap.short_id}", say):
        shares = split(manifest, config.repository.restore_processes)
        for path in precreate(shares):
            restored(work / "restore", path).mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(work / "run" / "restore.sh", restore_script(shares, verify=config.drill.verify_restore))
        env = {
            "MV_REPOSITORY": config.repository.url,
            "MV_SNAPSHOT": snap.id,
            "MV_TARGET": place.restore_root,
            "MV_SECRETS": place.secrets_dir,
            "RESTIC_PASSWORD_FILE": f"{place.secrets_dir}/password",
            **({"AWS_DEFAULT_REGION": config.repository.s3.region} if config.repository.s3 else {}),
        }
        how = f"{len(shares)} restic processes side by side" if len(shares) > 1 else "one restic process"
        try:
            place.exec(["sh", f"{place.run_dir}/restore.sh"], env=env, what=f"restic restore ({place.label}, {how})")
        except CommandFailed as exc:
            secret_files.forget(work)
            tail = "; ".join(exc.stderr_tail[-3:])
            st.findings.append(
                Finding("fail", "restore", f"restic restore of {snap.short_id} failed (exit {exc.returncode}): {tail}")
            )
            return False
    secret_files.forget(work)  # restic was their only reader
    read_back = ", each reading back what it wrote (--verify)" if config.drill.verify_restore else ""
    st.findings.append(Finding("pass", "restore", f"restored snapshot {snap.short_id} with {how}{read_back}"))
    return True


def _share(config: Config, st: _State, work: Path, snap: Snapshot) -> None:
    """Which messages this drill reads back for the coverage over time (drill.full_coverage_every)."""
    if st.paths is None:
        return
    chosen = drill_coverage.prepare(config, st.paths, work / "restore", snap)
    if isinstance(chosen, Finding):
        st.findings.append(chosen)
    else:
        st.share = chosen


def _check(
    config: Config,
    st: _State,
    place: Place,
    work: Path,
    snap: Snapshot,
    manifest: Manifest,
    say: Say,
    published: list[dkim.Published],
    port: int,
) -> None:
    """Lint the restored tree while it is handed to Dovecot's mail user and checked over IMAP."""
    root = work / "restore"
    key_dirs = [restored(root, str(p)) for p in config.sources.keys if str(p) in snap.paths]

    before_serving = restored_uidvalidity(root, manifest)  # (Dovecot may rewrite a uidlist it finds broken)
    folders = planned_folders(root, manifest)
    mismatch: Level = "warn" if manifest.state == UNRECONCILED else "fail"

    def lint() -> tuple[LintResult, list[Finding], float]:
        began = time.monotonic()
        result = lint_mail(root, manifest, before_serving, mismatch=mismatch)
        found = [
            *result.findings,
            *lint_certificates(key_dirs),
            *check_configs(place, snap.paths),
            *_lint_dkim(config, root, snap, published),
        ]
        return result, found, time.monotonic() - began

    from mailvault.drill.imap_check import check, size_findings

    say("drill: lint (while Dovecot serves the restored mail and it is checked over IMAP)...")
    st.phases["lint"] = 0.0
    with ThreadPoolExecutor(max_workers=1) as pool:  # the lint and the IMAP check only read the tree: both at once
        linting = pool.submit(lint)
        try:
            with _phase(st, "serve", "Dovecot takes the restored mail", say):
                also = control_mailboxes() if config.drill.controls else []
                serve.serve(place, work, manifest, port, ready_timeout=config.drill.ready_timeout, also=also)
            # the sizes are judged against the lint's once it is done
            with _phase(st, "verify", "every folder over IMAP against the manifest", say):
                share = st.share.share if st.share else None
                outcome = check(port, serve.password(work), manifest, folders, mismatch=mismatch, share=share)
        finally:
            try:
                st.lint, found, took = linting.result()
            except BaseException:
                st.failed_in = "lint"
                raise
            st.findings += found
            st.phases["lint"] = round(took, 3)
    _checked(st, outcome, size_findings(outcome.sizes, st.lint.folders))


def _checked(st: _State, outcome: ImapOutcome, sizes: list[Finding]) -> None:
    """What the IMAP check found, and what it proved."""
    st.findings += outcome.findings + sizes
    st.t_ready, st.samples = outcome.t_ready, outcome.samples
    st.share_counts = (outcome.share_proven, outcome.share_absent, outcome.share_differ)
    if outcome.folders:
        st.findings.append(Finding("pass", "verify", (
            f"{outcome.folders} folders, {outcome.messages} messages and {outcome.samples} sampled message"
            " hashes match the manifest over IMAP"
        )))  # fmt: skip


def _canary(
    config: Config,
    st: _State,
    place: Place,
    work: Path,
    restored_facts: tuple[Snapshot, Manifest, list[dkim.Published]],
    say: Say,
    ports: Ports,
) -> None:
    """The mail-flow canary through the restored Postfix; its arrival is judged against the RTO target,
    its DKIM signature (with the first restored [drill] dkim key) against DNS."""
    snap, manifest, answers = restored_facts
    config_dir = restored_postfix(work / "restore", snap.paths)
    recipient = next((m.name for m in manifest.mailboxes if "@" in m.name), None)
    if recipient is None:  # (mailboxes named by user alone: the address Dovecot's LMTP would look up is unknown)
        none = "the mailboxes are not named user@domain: no mail-flow canary"
        st.findings.append(Finding("pass", "canary", none))
        return
    if config_dir is None:
        st.findings.append(
            Finding("pass", "canary", "no Postfix config (main.cf) in the snapshot: no mail-flow canary")
        )
        return
    with _phase(st, "canary", "the restored Postfix receives a canary and delivers it to Dovecot", say):
        key = _dkim_key(config, work, snap, answers)
        signer = None
        if key is not None:
            signer = Signer(
                canary_dkim.split_name(key[0])[1], partial(canary_dkim.sign, name=key[0], private_pem=key[1])
            )
        st.canary = run_canary(place, work, config_dir, recipient, ports, serve.password(work), st.t0, signer)
    st.findings += st.canary.findings
    if key is not None and st.canary.message:
        checked = canary_dkim.verify(st.canary.message, key[0], key[2], key[3])
        st.canary.dkim = checked.message
        st.findings.append(checked)
    if st.canary.arrived_s is not None:
        arrived = timedelta(seconds=st.canary.arrived_s)
        st.findings.append(Finding(band(arrived, config.targets.rto), "canary", (
            f"mail flows again: a canary sent to the restored Postfix reached {st.canary.recipient}'s INBOX"
            f" {human_duration(arrived)} after the drill began (target {human_duration(config.targets.rto)});"
            f" a message for outside was refused ({st.canary.outbound_refused})"
        )))  # fmt: skip


def _dkim_key(
    config: Config, work: Path, snap: Snapshot, answers: list[dkim.Published]
) -> tuple[str, bytes, dkim.Published, str | None] | None:
    """The first configured DKIM key that was restored: (record name, private key, what DNS said,
    the restored key's public half)."""
    for (name, path), published in zip(config.drill.dkim.items(), answers, strict=True):
        public, _why = dkim.restored_key_p(work / "restore", path, snap.paths)
        if public is not None:  # (in the snapshot, restored, and a key)
            return name, restored(work / "restore", str(path)).read_bytes(), published, public
    return None


def _controls(st: _State, work: Path, manifest: Manifest, say: Say, port: int) -> None:
    """The negative controls: damaged copies of one restored folder must fail the checks just passed."""
    with _phase(st, "controls", "negative controls: damaged copies must fail the same checks", say):
        st.controls = run_controls(work, manifest, port)
    if st.controls is None:
        st.findings.append(Finding("pass", "controls", (
            "no negative controls: no folder holds two messages, one of them sampled"
        )))  # fmt: skip
    else:
        st.findings += st.controls.findings


def _lint_dkim(config: Config, root: Path, snap: Snapshot, published: list[dkim.Published]) -> list[Finding]:
    """Each configured DKIM key's restored copy against the p= its record publishes."""
    found = []
    for (name, path), answer in zip(config.drill.dkim.items(), published, strict=True):
        public, why = dkim.restored_key_p(root, path, snap.paths)
        found.append(dkim.judge(name, str(path), public, answer, why=why))
    return found


def _report(config: Config, st: _State, run_id: int, started_at: datetime, t0: float) -> DrillReport:
    findings = list(st.findings)
    rpo = rto = None
    if st.snap is not None:
        rpo = started_at - st.snap.time
        level = band(rpo, config.targets.rpo)
        findings.append(Finding(level, "snapshot", f"RPO {_fmt(rpo)} (snapshot of {st.snap.time:%Y-%m-%d %H:%M} UTC)"
                                f" against a target of {_fmt(config.targets.rpo)}"))  # fmt: skip
    if st.t_ready is not None:
        rto = timedelta(seconds=st.t_ready - t0)
        level = band(rto, config.targets.rto)
        findings.append(Finding(level, "verify", f"RTO {_fmt(rto)} (drill start to the largest mailbox served)"
                                f" against a target of {_fmt(config.targets.rto)}"))  # fmt: skip
    elif not any(f.level == "fail" for f in findings):
        findings.append(Finding("fail", "verify", "the restored mail was never served over IMAP"))
    lint = st.lint
    return DrillReport(
        run_id=run_id,
        verdict=verdict(findings),
        started_at=started_at.isoformat(timespec="seconds"),
        snapshot_id=st.snap.id if st.snap else None,
        snapshot_time=st.snap.time.isoformat(timespec="seconds") if st.snap else None,
        rpo_s=rpo.total_seconds() if rpo is not None else None,
        rpo_target_s=config.targets.rpo.total_seconds(),
        largest_gap_s=st.gap.total_seconds() if st.gap is not None else None,
        rto_s=round(rto.total_seconds(), 3) if rto is not None else None,
        rto_target_s=config.targets.rto.total_seconds(),
        phases={name: st.phases[name] for name in PHASES if name in st.phases},
        total_s=round(time.monotonic() - t0, 3),
        mailboxes=len(st.manifest.mailboxes) if st.manifest else 0,
        messages=lint.messages if lint else 0,
        bytes=lint.bytes if lint else 0,
        samples=st.samples,
        runtime=st.runtime,
        image=st.image,
        image_built=st.image_built,
        findings=findings,
        controls=st.controls.as_dict() if st.controls else {},
        repository_bytes_read=st.read_bytes,
        canary=st.canary.as_dict() if st.canary else {},
        coverage=st.coverage,
    )


def _fmt(value: timedelta) -> str:
    return human_duration(value)
