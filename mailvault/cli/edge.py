"""The one error handler at the CLI edge.

MailvaultError -> one clean line on stderr (its evidence below it), its exit code (1; config 2);
anything else is a bug -> exit 3 with the traceback in a log file; Ctrl-C -> 130.
Usage errors are typer's own (exit 2).
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

from mailvault import execute
from mailvault.cli.context import GLOBALS
from mailvault.cli.output import emit_json
from mailvault.config.durations import format_duration
from mailvault.errors import MailvaultError
from mailvault.monitor.job import TIMEOUT_ENV
from mailvault.runtime import Interrupted, check_interrupt, interrupt, stop_asked


class TimedOut(Interrupted):
    """A scheduled job past its timeout ($MAILVAULT_TIMEOUT_S, set by the scheduler's runner)."""

    def __init__(self, seconds: int) -> None:
        BaseException.__init__(
            self, f"stopped: it ran longer than its timeout of {format_duration(timedelta(seconds=seconds))}"
        )
        self.exit_code = 124  # as timeout(1)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    interrupt(signum)


def _arm_timeout() -> None:
    text = os.environ.get(TIMEOUT_ENV, "")
    if text.isdecimal() and int(text) > 0:
        seconds = int(text)

        def expired(signum: int, frame: FrameType | None) -> None:
            raise TimedOut(seconds)

        signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)


def guarded(main: Callable[[], object]) -> int:
    """Run ``main`` (a typer app in standalone mode) and map whatever it raises to an exit code."""
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    _arm_timeout()
    try:
        main()
        check_interrupt()  # (a stop asked for while a finalizer ran, and lost there)
    except SystemExit as exc:
        lost = stop_asked()  # (likewise, when the command then ended on its own)
        if lost is not None:
            print(f"mailvault: interrupted by {signal.Signals(lost).name}", file=sys.stderr)
            return 128 + lost
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MailvaultError as exc:
        _report(exc)
        return exc.exit_code
    except (Interrupted, KeyboardInterrupt) as exc:
        print(f"mailvault: {exc or 'interrupted'}; nothing half-done was recorded as a success", file=sys.stderr)
        return exc.exit_code if isinstance(exc, Interrupted) else 130
    except Exception:  # a bug: keep the evidence, say where it is
        with tempfile.NamedTemporaryFile("w", prefix="mailvault-crash-", suffix=".log", delete=False) as fh:
            fh.write(execute.mask(traceback.format_exc()))
        print(f"mailvault: internal error (a bug); the traceback is in {fh.name}. Please report it.", file=sys.stderr)
        return 3
    finally:
        signal.alarm(0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _report(exc: MailvaultError) -> None:
    if GLOBALS.json:
        emit_json(
            {
                "ok": False,
                "error": execute.mask(exc.message),
                "hint": exc.hint,
                "details": [execute.mask(d) for d in exc.details],
            }
        )
    print(f"Error: {execute.mask(exc.one_line())}", file=sys.stderr)
    for detail in exc.details[:30]:
        print(f"  {execute.mask(detail)}", file=sys.stderr)
