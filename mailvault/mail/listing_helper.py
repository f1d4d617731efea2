"""A helper process of :mod:`mailvault.mail.listing`: lists the folders it is given and answers.

Reads a marshal list of folder paths (bytes) on stdin; writes a marshal list of
``(files, bytes, newest, unreadable)`` on stdout, one per folder, in order. It imports only
:mod:`mailvault.mail.message_files` (``os``), and is started with ``python -S``, so that it is
ready in a few tens of milliseconds.
"""

from __future__ import annotations

import marshal
import os
import sys

from mailvault.mail.message_files import listing


def main() -> None:
    folders = marshal.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(marshal.dumps([listing(os.fsdecode(raw)) for raw in folders]))


if __name__ == "__main__":
    main()
