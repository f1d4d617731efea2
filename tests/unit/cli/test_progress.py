from mailvault.cli.progress import PlainProgress, plain_line
from mailvault.tools.restic_output import Status


def test_plain_progress_skips_the_placeholder_then_writes_every_interval() -> None:
    now = [100.0]
    lines: list[str] = []
    show = PlainProgress("backup", write=lines.append, interval=5.0, clock=lambda: now[0])
    show(Status(0.0, 0, 1, 0, 51, None))  # restic's report before its scanner counted anything
    assert lines == []
    show(Status(0.25, 120, 500, 1 << 20, 4 << 20, 30))
    now[0] += 2
    show(Status(0.4, 200, 500, 2 << 20, 4 << 20, 20))  # within the interval: not written
    now[0] += 4
    show(Status(0.75, 400, 500, 3 << 20, 4 << 20, 5))
    assert lines == [
        "backup: 120/500 files, 1.0 MiB/4.0 MiB (25%), ETA 0:00:30",
        "backup: 400/500 files, 3.0 MiB/4.0 MiB (75%), ETA 0:00:05",
    ]
    assert plain_line("backup", Status(1.0, 1, 1, 10, 10, None)).endswith("ETA ?")
