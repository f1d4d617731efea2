"""Is the S3 endpoint answering at all? A TCP connect with a deadline, before restic retries for minutes."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from mailvault.errors import StorageError
from mailvault.storage.location import S3Location


def require_reachable(location: S3Location, *, timeout: float) -> None:
    """Raise StorageError naming the endpoint when nothing accepts a connection within ``timeout`` seconds."""
    parts = urlsplit(location.endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return
    except OSError as exc:
        raise StorageError(
            f"S3 endpoint {location.endpoint} is unreachable: {exc.strerror or exc}",
            hint="check that the endpoint is up and the URL in repository.url is right",
        ) from exc
