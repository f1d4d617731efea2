"""The shell script that runs the drill's restic restores inside the box. Pure.

The S3 keys are read from the mounted secret files into restic's environment: never in an argv,
nor in the container's configuration (`docker inspect`). With several shares (see
``mail.restore_split``) one restic process per share runs at once; the script waits for all of
them and exits with the last failure's code, so one failing share fails the restore.
The script goes into a file: the patterns of a large store would not fit in one argv string.
"""

from __future__ import annotations

import shlex

from mailvault.mail.restore_split import Share

CREDENTIALS = (
    'if [ -f "$MV_SECRETS/s3-id" ]; then AWS_ACCESS_KEY_ID="$(cat "$MV_SECRETS/s3-id")";'
    ' AWS_SECRET_ACCESS_KEY="$(cat "$MV_SECRETS/s3-secret")"; export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; fi\n'
)
RESTIC = 'restic --no-cache --no-lock -r "$MV_REPOSITORY" restore "$MV_SNAPSHOT" --target "$MV_TARGET"'


def restore_script(shares: list[Share], *, verify: bool) -> str:
    """
    >>> print(restore_script([Share()], verify=True).splitlines()[-1])
    exec restic --no-cache --no-lock -r "$MV_REPOSITORY" restore "$MV_SNAPSHOT" --target "$MV_TARGET" --verify
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
    flag = " --verify" if verify else ""
    if len(shares) == 1 and not shares[0].paths and not shares[0].excluded:
        return CREDENTIALS + f"exec {RESTIC}{flag}"
    lines = [f"{RESTIC}{flag} {shlex.join(share.restic_args())} & p{n}=$!" for n, share in enumerate(shares)]
    waits = [f"wait $p{n} || rc=$?" for n in range(len(shares))]
    return CREDENTIALS + "\n".join([*lines, "rc=0", *waits, "exit $rc"]) + "\n"
