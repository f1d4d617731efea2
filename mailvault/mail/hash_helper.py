"""A helper process of :mod:`mailvault.mail.hash_index`: hashes the message files it is given.

Reads a marshal list of paths (bytes) on stdin; writes a marshal list of SHA-256 hex digests (or
None for a file gone before it was read) on stdout, in order. Started with ``python -S``; imports
only :mod:`mailvault.mail.message_hash`.
"""

from __future__ import annotations

import marshal
import sys

from mailvault.mail.message_hash import hash_file


def main() -> None:
    paths = marshal.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(marshal.dumps([hash_file(path) for path in paths]))


if __name__ == "__main__":
    main()
