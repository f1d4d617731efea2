from datetime import UTC, datetime, timedelta

from mailvault.drill.dovecot_conf import render, users_file
from mailvault.drill.judge import Finding, band, exit_code, largest_gap, verdict
from mailvault.tools.container import labelled_argv, owner_of


def test_bands_verdicts_and_exit_codes() -> None:
    target = timedelta(hours=1)
    assert [band(timedelta(minutes=m), target) for m in (60, 61, 120, 121)] == ["pass", "warn", "warn", "fail"]
    assert verdict([]) == "pass"
    assert verdict([Finding("pass", "a", ""), Finding("warn", "b", ""), Finding("pass", "c", "")]) == "warn"
    assert verdict([Finding("warn", "b", ""), Finding("fail", "c", "")]) == "fail"
    assert [exit_code(v) for v in ("pass", "fail", "warn")] == [0, 1, 2]


def test_largest_gap_counts_the_stretch_up_to_now_and_ignores_old_snapshots() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    times = [now - timedelta(days=40), now - timedelta(days=3), now - timedelta(days=2, hours=12)]
    assert largest_gap(times, now=now, window=timedelta(days=30)) == timedelta(days=2, hours=12)
    assert largest_gap([now - timedelta(days=40)], now=now, window=timedelta(days=30)) is None


def test_only_this_installations_containers_are_listed() -> None:
    owner = owner_of("/var/lib/mailvault")
    assert len(owner) == 12 and owner != owner_of("/srv/other-mailvault")
    argv = labelled_argv("docker", owner)
    assert argv[:4] == ("docker", "ps", "--all", "--filter")
    assert "label=mailvault.drill" in argv and f"label=mailvault.owner={owner}" in argv


def test_the_drill_dovecot_listens_on_loopback_only_and_reads_its_passwd_file() -> None:
    conf = render(port=14143, run_dir="/drill/dovecot", users="/drill/users")
    assert "listen = 127.0.0.1\n" in conf and "address = 127.0.0.1\n    port = 14143" in conf
    assert "args = /drill/users" in conf and "ssl = no" in conf
    users = users_file([("a@x.org", "/r/a"), ("b", "/r/b")], password="pw", uid=5000, gid=5000, folder_layout="fs")
    assert users.splitlines()[1] == "b:{PLAIN}pw:5000:5000::/r/b::userdb_mail=maildir:/r/b:INDEX=MEMORY:LAYOUT=fs"
