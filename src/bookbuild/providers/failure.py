"""One failed attempt at a service, as the shared HTTP policy (http.py) and the capped
downloads (downloads.py) report it."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.errors import ProviderError

NOT_SENT = "cannot connect (not sent)"
CONNECT_ATTEMPTS = 3
"""Attempts in a row whose connection could not be made before a request gives up."""


@dataclass(frozen=True)
class Failure:
    """One failed attempt: retried when `retryable`, else raised."""

    reason: str  # a short label for the retry notice
    message: str  # for the author: the service's words where it gave some
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None

    def error(self, provider: str, attempts: int) -> ProviderError:
        tail = f" (gave up after {attempts} attempts)" if self.retryable else ""
        return ProviderError(
            self.message + tail,
            provider=provider,
            transient=self.retryable,
            status=self.status,
            retry_after=self.retry_after,
        )


def never_sent(exc: Exception) -> bool:
    """True when a request certainly never reached the service: the connection itself failed
    (refused, unresolvable, connect timeout). A drop or read timeout after sending is not."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)
