"""A failed OpenAI request in the terms the retry and fallback decisions need, read from the
SDK's error with the server's own message (shared by the chat and image sides)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bookbuild.providers.http import retry_after, server_message

if TYPE_CHECKING:
    import openai

RETRIED_STATUSES = frozenset({408, 409, 429})
_UNSUPPORTED_WORDS = ("unsupported", "not supported", "unrecognized", "unknown", "extra inputs")


@dataclass(frozen=True)
class Failure:
    """One failed attempt, in the terms the retry and fallback decisions need."""

    message: str
    status: int | None = None
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    should_retry: bool | None = None  # the server's `x-should-retry` header, when sent
    timed_out: bool = False

    @property
    def transient(self) -> bool:
        if self.code == "insufficient_quota":
            return False
        if self.should_retry is not None:
            return self.should_retry
        return self.status is None or self.status in RETRIED_STATUSES or self.status >= 500

    @property
    def reason(self) -> str:
        """A short label for `on_retry`: the error code, else the status or 'connection'."""
        return self.code or (f"HTTP {self.status}" if self.status else "connection")

    def rejects(self, param: str) -> bool:
        """Whether this is the server saying it does not support request field `param`."""
        text = self.message.lower()
        named = self.param == param or param in text
        unsupported = self.code == "unsupported_parameter" or any(
            word in text for word in _UNSUPPORTED_WORDS
        )
        return self.status == 400 and named and unsupported

    def rejects_structured_output(self) -> bool:
        text = self.message.lower()
        named = (self.param or "").startswith("response_format") or any(
            word in text for word in ("response_format", "json_schema", "structured output")
        )
        return self.status == 400 and named


def status_failure(exc: openai.APIStatusError) -> Failure:
    """The Failure an HTTP error answer describes, with the server's own message."""
    headers = exc.response.headers
    flag = (headers.get("x-should-retry") or "").lower()
    return Failure(
        message=server_message(exc.body) or f"the server answered HTTP {exc.status_code}",
        status=exc.status_code,
        code=exc.code,
        param=exc.param,
        retry_after=retry_after(headers),
        should_retry={"true": True, "false": False}.get(flag),
    )
