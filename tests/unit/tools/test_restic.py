from pathlib import Path

from mailvault.tools import restic
from mailvault.tools.restic_output import (
    ItemError,
    ResticProgress,
    Summary,
    check_ok,
    classify_failure,
    parse_backup_line,
    parse_forget,
    parse_lock,
    parse_snapshots,
    parse_version,
)

REPO = restic.ResticRepo("restic", "s3:http://127.0.0.1:8333/mailvault/mail1")


def test_backup_argv_exact() -> None:
    argv = restic.backup_argv(
        REPO,
        [Path("/var/vmail"), Path("/etc/postfix")],
        excludes=["dovecot.index*", "/var/vmail/**/tmp"],
        tags=["mailvault", "messages:3"],
        compression="auto",
    )
    assert argv == (
        "restic", "-r", "s3:http://127.0.0.1:8333/mailvault/mail1", "backup", "--json",
        "--compression", "auto", "--tag", "mailvault", "--tag", "messages:3",
        "--exclude", "dovecot.index*", "--exclude", "/var/vmail/**/tmp", "/var/vmail", "/etc/postfix",
    )  # fmt: skip


def test_backup_argv_dry_run_and_cache_dir() -> None:
    repo = restic.ResticRepo("/usr/bin/restic", "/srv/repo", Path("/var/cache/mv"))
    argv = restic.backup_argv(repo, [Path("/m")], excludes=[], tags=[], compression="max", dry_run=True)
    assert argv == (
        "/usr/bin/restic", "-r", "/srv/repo", "--cache-dir", "/var/cache/mv", "backup", "--json",
        "--compression", "max", "--dry-run", "/m",
    )  # fmt: skip


def test_forget_argv_groups_by_host_and_skips_zero_keeps() -> None:
    keep = restic.Retention(last=0, daily=7, weekly=4, monthly=0, yearly=1)
    assert restic.forget_argv(REPO, keep, dry_run=True) == (
        *REPO.base(), "forget", "--prune", "--json", "--tag", "mailvault", "--group-by", "host",
        "--keep-daily", "7", "--keep-weekly", "4", "--keep-yearly", "1", "--dry-run",
    )  # fmt: skip


def test_check_init_unlock_argv() -> None:
    assert restic.check_argv(REPO, subset=(2, 12)) == (*REPO.base(), "check", "--read-data-subset", "2/12")
    assert restic.check_argv(REPO, subset=None) == (*REPO.base(), "check")
    assert restic.init_argv(REPO) == (*REPO.base(), "init", "--repository-version", "2")
    assert restic.unlock_argv(REPO) == (*REPO.base(), "unlock")
    assert restic.snapshots_argv(REPO) == (*REPO.base(), "snapshots", "--json", "--no-lock", "--tag", "mailvault")


def test_no_argv_builder_takes_a_secret() -> None:
    # The password and S3 keys never travel in argv: no builder has a parameter for them.
    import inspect

    for name, fn in inspect.getmembers(restic, inspect.isfunction):
        params = set(inspect.signature(fn).parameters)
        assert not params & {"password", "secret", "access_key", "secret_access_key"}, name


def test_parse_version() -> None:
    assert parse_version("restic 0.14.0 compiled with go1.19.8 on linux/amd64") == (0, 14, 0)
    assert parse_version("restic 0.17.3 compiled with go1.23 on linux/amd64\n") == (0, 17, 3)
    assert parse_version("bash: restic: not found") is None


def test_parse_backup_lines() -> None:
    status = parse_backup_line(
        '{"message_type":"status","percent_done":0.5,"total_files":10,"files_done":5,'
        '"total_bytes":100,"bytes_done":50,"seconds_remaining":3}'
    )
    assert status == ResticProgress(0.5, 5, 10, 50, 100, 3)
    summary = parse_backup_line(
        '{"message_type":"summary","files_new":20,"files_changed":1,"files_unmodified":3,"data_added":109302,'
        '"total_files_processed":24,"total_bytes_processed":100000,"total_duration":0.25,"snapshot_id":"d5f496cc"}'
    )
    assert summary == Summary("d5f496cc", 20, 1, 3, 109302, 24, 100000, 0.25)
    err = parse_backup_line(
        '{"message_type":"error","error":{"Op":"open","Path":"/m/a","Err":13},"during":"archival","item":"/m/a"}'
    )
    assert err == ItemError("/m/a", "open: permission denied")
    assert parse_backup_line("Warning: at least one source file could not be read") is None
    assert parse_backup_line("[1, 2]") is None


def test_parse_snapshots_sorted_with_tags_and_nanoseconds() -> None:
    text = (
        '[{"time":"2026-11-28T23:03:34.265458645Z","paths":["/m"],"hostname":"vm","tags":["mailvault","messages:7"],'
        '"id":"bbbb","short_id":"bb"},'
        '{"time":"2026-11-28T23:03:33.1+01:00","paths":["/m"],"hostname":"vm","tags":null,"id":"aaaa"}]'
    )
    snaps = parse_snapshots(text)
    assert [s.id for s in snaps] == ["aaaa", "bbbb"]
    assert snaps[1].tag_value("messages") == "7"
    assert snaps[0].tag_value("messages") is None
    assert snaps[0].short_id == "aaaa"
    assert snaps[1].time.microsecond == 265458


def test_parse_lock_and_forget() -> None:
    lock = parse_lock("ab12", '{"time":"2026-11-28T23:03:42.98Z","exclusive":false,"hostname":"vm","pid":5813}')
    assert (lock.hostname, lock.pid, lock.exclusive) == ("vm", 5813, False)
    forget = parse_forget(
        '[{"keep":[{"id":"k1"}],"remove":[{"id":"r1xxxxxxxx","short_id":"r1"},{"id":"r2yyyyyyyyy"}]}]\n'
        "2 snapshots have been removed, running prune\n"
    )
    assert (forget.kept, forget.removed, forget.removed_ids) == (1, 2, ("r1", "r2yyyyyy"))


def test_classify_failure() -> None:
    assert classify_failure(1, "Fatal: wrong password or no key found") == "wrong-password"
    assert classify_failure(12, "") == "wrong-password"
    assert (
        classify_failure(
            1, "Fatal: unable to open config file: Stat: x\nIs there a repository at the following location?"
        )
        == "no-repository"
    )
    assert classify_failure(1, "Fatal: create repository at /r failed: config file already exists") == (
        "already-initialized"
    )
    assert classify_failure(1, "unable to create lock in backend: repository is already locked by PID 4") == "locked"
    assert classify_failure(1, "something else") == "unknown"
    stat = "Fatal: unable to open config file: Stat: {}\nIs there a repository at the following location?"
    assert classify_failure(1, stat.format("The specified bucket does not exist")) == "s3-no-bucket"
    assert classify_failure(1, stat.format("The access key ID you provided does not exist in our records.")) == (
        "s3-credentials"
    )
    assert classify_failure(1, stat.format("The request signature we calculated does not match the signature")) == (
        "s3-credentials"
    )
    assert classify_failure(1, "create repository at s3:x failed: client.MakeBucket: Access Denied.") == "s3-denied"
    assert check_ok("...\nno errors were found\n")
    assert not check_ok("Fatal: repository contains errors")


def test_key_argvs_exact_and_the_new_password_never_in_argv() -> None:
    base = ("restic", "-r", "s3:http://127.0.0.1:8333/mailvault/mail1")
    assert restic.key_list_argv(REPO) == (*base, "key", "list", "--json")
    assert restic.key_add_argv(REPO, Path("/etc/mailvault/repository.key.new")) == (
        *base, "key", "add", "--new-password-file", "/etc/mailvault/repository.key.new",
    )  # fmt: skip
    assert restic.key_remove_argv(REPO, "4d1f0c2e") == (*base, "key", "remove", "4d1f0c2e")


def test_current_key_id_and_key_count() -> None:
    from mailvault.tools.restic_output import current_key_id, key_count

    listing = '[{"current":false,"id":"aa11","userName":"root"},{"current":true,"id":"bb22","userName":"root"}]'
    assert current_key_id(listing) == "bb22" and key_count(listing) == 2
    assert current_key_id("[]") is None and current_key_id("not json") is None and key_count("oops") == 0


def test_record_snapshots_attach_to_the_snapshots_they_describe() -> None:
    import json

    from mailvault.tools.restic_output import parse_snapshots

    snap = {
        "id": "aa" * 32,
        "short_id": "aaaaaaaa",
        "time": "2026-12-03T01:00:00Z",
        "paths": ["/v"],
        "tags": ["mailvault"],
    }
    other = {**snap, "id": "bb" * 32, "short_id": "bbbbbbbb", "time": "2026-12-03T02:00:00Z"}
    rec = {
        "id": "cc" * 32,
        "time": "2026-12-03T01:00:05Z",
        "paths": ["/s/records/aaaaaaaa.json"],
        "tags": ["mailvault-record", restic.record_tag("aaaaaaaa", "partial", 12, 3456)],
    }
    parsed = parse_snapshots(json.dumps([rec, other, snap]))
    assert [s.short_id for s in parsed] == ["aaaaaaaa", "bbbbbbbb"]  # the record is not a backup
    assert parsed[0].record is not None and parsed[1].record is None
    assert (parsed[0].record.path, parsed[0].record.state, parsed[0].record.messages) == (
        "/s/records/aaaaaaaa.json",
        "partial",
        12,
    )


def test_record_argv_tags_the_record_apart_from_backups() -> None:
    argv = restic.record_argv(REPO, [Path("/s/records/x.json")], ["record:x:complete:1:2"])
    assert argv == (*REPO.base(), "backup", "--json", "--tag", "mailvault-record", "--tag", "record:x:complete:1:2",
                    "/s/records/x.json")  # fmt: skip
    assert restic.snapshots_argv(REPO, records=True)[-4:] == ("--tag", "mailvault", "--tag", "mailvault-record")


def test_a_record_saved_beside_its_backup_is_found_by_the_run_tag() -> None:
    import json

    from mailvault.tools.restic_output import parse_snapshots

    snap = {"id": "aa" * 32, "time": "2026-12-03T01:00:00Z", "paths": ["/v"], "tags": ["mailvault", "record-run:x1"]}
    other = {**snap, "id": "bb" * 32, "tags": ["mailvault", "record-run:x2"]}
    rec = {"id": "cc" * 32, "time": "2026-12-03T00:59:59Z", "paths": ["/mailvault-record.json"],
           "tags": ["mailvault-record", "record-run:x1"]}  # fmt: skip
    parsed = {s.id[:2]: s for s in parse_snapshots(json.dumps([snap, other, rec]))}
    assert set(parsed) == {"aa", "bb"} and parsed["bb"].record is None
    ref = parsed["aa"].record
    assert ref is not None and (ref.path, ref.state, ref.messages) == ("/mailvault-record.json", "complete", None)
