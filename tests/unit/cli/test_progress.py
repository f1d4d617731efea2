from mailvault.cli.progress import PlainProgress, plain_line
from mailvault.tools.restic_output import ResticProgress


def test_plain_progress_skips_the_placeholder_then_writes_every_interval() -> None:
    now = [100.0]
    lines: list[str] = []
    show = PlainProgress("backup", write=lines.append, interval=5.0, clock=lambda: now[0])
    show(ResticProgress(0.0, 0, 1, 0, 51, None))  # restic's report before its scanner counted anything
    assert lines == []
    show(ResticProgress(0.25, 120, 500, 1 << 20, 4 << 20, 30))
    now[0] += 2
    show(ResticProgress(0.4, 200, 500, 2 << 20, 4 << 20, 20))  # within the interval: not written
    now[0] += 4
    show(ResticProgress(0.75, 400, 500, 3 << 20, 4 << 20, 5))
    assert lines == [
        "backup: 120/500 files, 1.0 MiB/4.0 MiB (25%), ETA 0:00:30",
        "backup: 400/500 files, 3.0 MiB/4.0 MiB (75%), ETA 0:00:05",
    ]
    assert plain_line("backup", ResticProgress(1.0, 1, 1, 10, 10, None)).endswith("ETA ?")


def test_lines_said_from_several_threads_never_share_a_line(capfd: object) -> None:
    import threading

    from mailvault.cli.output import say

    def phase(name: str) -> None:
        for i in range(200):
            say(f"drill: {name} {i}...")

    threads = [threading.Thread(target=phase, args=(n,)) for n in ("snapshot", "container", "serve")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = capfd.readouterr().err.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 600 and all(line.count("drill:") == 1 and line.endswith("...") for line in lines)


def test_a_copy_line_says_what_was_checked_and_what_was_copied() -> None:
    from mailvault.cli.progress import count_line

    assert count_line("alice", 32, 32, 247, 0.0, "messages") == "alice: 32/32 messages done, 247 B copied"
