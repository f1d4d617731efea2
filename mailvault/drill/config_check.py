"""The restored mail-server configuration, checked by its own programs in the drill's place:
`doveconf -n` on a restored Dovecot config, `postfix check` on a restored Postfix one (one exec).
A config that does not pass is a warning: the mail is still there, but a rebuilt host would not
start as backed up."""

from __future__ import annotations

from collections.abc import Sequence

from mailvault.drill.judge import Finding
from mailvault.drill.place import Place

# "$1" is the restore root, the rest are the snapshot's paths: arguments, never shell text.
SCRIPT = (
    'root="$1"; shift; for p in "$@"; do'
    ' if [ -f "$root$p/dovecot.conf" ]; then'
    '  if doveconf -n -c "$root$p/dovecot.conf" >/dev/null 2>/tmp/e; then echo "pass|Dovecot|$p|";'
    '  else echo "warn|Dovecot|$p|$(grep . /tmp/e | tail -1)"; fi; fi;'
    ' if [ -f "$root$p/main.cf" ] && command -v postfix >/dev/null; then'
    '  if postfix -c "$root$p" check >/dev/null 2>/tmp/e; then echo "pass|Postfix|$p|";'
    '  else echo "warn|Postfix|$p|$(grep . /tmp/e | tail -1)"; fi; fi;'
    " done"
)


def check_configs(place: Place, paths: Sequence[str]) -> list[Finding]:
    done = place.exec(["sh", "-c", SCRIPT, "config-check", place.restore_root, *paths],
                      what="checking the restored mail-server config", check=False)  # fmt: skip
    return findings(done.stdout)


def findings(output: str) -> list[Finding]:
    """The script's lines as findings.

    >>> for f in findings("pass|Dovecot|/etc/dovecot|\\nwarn|Postfix|/etc/postfix|bad line 3\\n"):
    ...     print(f.level, f.message)
    pass the restored Dovecot config in /etc/dovecot passes its check
    warn the restored Postfix config in /etc/postfix does not pass its check: bad line 3
    """
    found = []
    for line in output.splitlines():
        level, what, path, why = [*line.split("|", 3), "", "", ""][:4]
        if level == "pass":
            found.append(Finding("pass", "lint", f"the restored {what} config in {path} passes its check"))
        elif level == "warn":
            found.append(
                Finding("warn", "lint", f"the restored {what} config in {path} does not pass its check: {why}")
            )
    return found
