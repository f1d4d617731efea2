"""The shell script that runs the drill's restic restores in the drill's place. Pure.

The S3 keys are read from the mounted secret files into restic's environment: never in an argv,
nor in the container's configuration (`docker inspect`). With several shares (see
``mail.restore_split``) one restic process per share runs at once; the script waits for all of
them and exits with the last failure's code, so one failing share fails the restore.
The script goes into a file: the patterns of a large store would not fit in one argv string.
Each restic command line is built by ``tools/restic.py`` (the one door for restic argv) and quoted here.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from mailvault.mail.restore_split import Share
from mailvault.tools import restic

CREDENTIALS = (
    'if [ -f "$MV_SECRETS/s3-id" ]; then AWS_ACCESS_KEY_ID="$(cat "$MV_SECRETS/s3-id")";'
    ' AWS_SECRET_ACCESS_KEY="$(cat "$MV_SECRETS/s3-secret")"; export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; fi\n'
)
# What the place's environment gives the script: stand-ins in the argv, variables in the shell text.
_FROM_ENV = {"\0repository": '"$MV_REPOSITORY"', "\0snapshot": '"$MV_SNAPSHOT"', "\0target": '"$MV_TARGET"'}


def restic_line(share: Share, *, verify: bool) -> str:
    """One share's ``restic restore`` as shell text: the argv from tools/restic.py, quoted, with the
    repository, snapshot and target read from the place's environment.

    >>> print(restic_line(Share(excluded=("/v/a b",)), verify=False))
    restic -r "$MV_REPOSITORY" --no-cache --no-lock restore "$MV_SNAPSHOT" --target "$MV_TARGET" --exclude '/v/a b'
    """
    includes, excludes = share.patterns()
    repo = restic.ResticRepo("restic", "\0repository")
    argv = restic.restore_argv(
        repo, "\0snapshot", Path("\0target"), includes=includes, excludes=excludes, verify=verify, throwaway=True
    )
    return " ".join(_FROM_ENV.get(arg) or shlex.quote(arg) for arg in argv)


def restore_script(shares: list[Share], *, verify: bool) -> str:
    """
    >>> print(restore_script([Share()], verify=True).splitlines()[-1])
    exec restic -r "$MV_REPOSITORY" --no-cache --no-lock restore "$MV_SNAPSHOT" --target "$MV_TARGET" --verify
    >>> print(restore_script([Share(paths=("/v/a b",)), Share(excluded=("/v/a b",))], verify=False))
    ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    if ... fi
    restic ... --target "$MV_TARGET" --include '/v/a b' & p0=$!
    restic ... --target "$MV_TARGET" --exclude '/v/a b' & p1=$!
    rc=0
    wait $p0 || rc=$?
    wait $p1 || rc=$?
    exit $rc
    """
    if len(shares) == 1 and not shares[0].paths and not shares[0].excluded:
        return CREDENTIALS + f"exec {restic_line(shares[0], verify=verify)}"
    lines = [f"{restic_line(share, verify=verify)} & p{n}=$!" for n, share in enumerate(shares)]
    waits = [f"wait $p{n} || rc=$?" for n in range(len(shares))]
    return CREDENTIALS + "\n".join([*lines, "rc=0", *waits, "exit $rc"]) + "\n"
