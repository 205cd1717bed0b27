"""One failed attempt at a service, as the shared HTTP policy (http.py) and the capped
downloads (downloads.py) report it."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.errors import ProviderError


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
