"""Is the S3 endpoint answering at all? One HTTP request with a deadline, before restic retries for minutes.

Any HTTP answer (even 403) proves a server is there; credentials are proven later by restic or boto3.
Nothing secret is sent: the request carries no credentials.
"""

from __future__ import annotations

import socket
import ssl
import time
from urllib.parse import urlsplit

from mailvault.errors import StorageError
from mailvault.storage.location import S3Location


def require_reachable(location: S3Location, *, timeout: float) -> None:
    """Raise StorageError naming the endpoint unless it answers an HTTP request within ``timeout`` seconds."""
    parts = urlsplit(location.endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock: socket.socket = raw
            if parts.scheme == "https":
                context = ssl.create_default_context()
                context.check_hostname = False  # reachability only; restic verifies the certificate itself
                context.verify_mode = ssl.CERT_NONE
                sock = context.wrap_socket(raw, server_hostname=host)
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock.sendall(f"HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            if not sock.recv(12).startswith(b"HTTP/"):
                raise StorageError(
                    f"S3 endpoint {location.endpoint} did not answer like an HTTP server",
                    hint="check the scheme and port in repository.url",
                )
    except TimeoutError as exc:
        raise unreachable(location, f"no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise unreachable(location, exc.strerror or str(exc)) from exc


def unreachable(location: S3Location, detail: str = "") -> StorageError:
    """The one error for an S3 endpoint that does not answer, from this probe or from boto3."""
    return StorageError(
        f"S3 endpoint {location.endpoint} is unreachable" + (f": {detail}" if detail else ""),
        hint="check that the endpoint is up and the URL in repository.url is right",
    )
