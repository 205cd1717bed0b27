"""Is a service there at all? One TCP connect per address, before any step is sent and again
after a step fails, so a server that is down is one clear error (exit 2) naming its URL instead
of minutes of retries per step.

No HTTP is sent (a probe costs nothing and needs no key); the URL shown never carries a
user:password part.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

PROBE_SECONDS = 5.0


def shown_url(url: str) -> str:
    """`url` without credentials, query or fragment, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def probe(url: str, seconds: float = PROBE_SECONDS) -> str | None:
    """None when something accepts a TCP connection at the URL's host and port, else why not
    (the operating system's words: refused, no such host, timed out)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None  # not a network address: the provider's own checks say what is wrong
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the port is not a number"
    try:
        with socket.create_connection((parts.hostname, port), timeout=seconds):
            return None
    except TimeoutError:
        return f"no connection within {seconds:g} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def listening(url: str, seconds: float = PROBE_SECONDS) -> bool:
    """Whether something accepts a TCP connection at `url` (no HTTP is sent)."""
    return probe(url, seconds) is None


class DownServices:
    """The addresses found down during one build (thread-safe): steps for them are not sent."""

    def __init__(self) -> None:
        self._down: dict[str, str] = {}
        self._guard = threading.Lock()

    def mark(self, url: str, why: str) -> None:
        with self._guard:
            self._down.setdefault(url, why)

    def why(self, url: str) -> str | None:
        with self._guard:
            return self._down.get(url)
