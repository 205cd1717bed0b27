"""How the Stable Diffusion API fails, read from its answers: one failed attempt (`Failure`),
the service's own message, Retry-After, and which messages inside an error envelope say the
request was not taken and may be sent again ("Something went wrong, please try again later",
server busy, queue full)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from bookbuild.errors import ProviderError

MESSAGE_LIMIT = 400

TRANSIENT_MESSAGE = re.compile(
    r"try again|server (is )?busy|queue (is )?full|too many requests|rate limit|"
    r"temporarily|overloaded|not queued|high (demand|load)",
    re.IGNORECASE,
)
"""An error envelope whose message matches this is the service saying it did not take the
request for now: retried like a 5xx, and for a submit it means the job was not queued."""


@dataclass(frozen=True)
class Failure:
    """One failed attempt: retried when `retryable`, else raised."""

    reason: str
    message: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None

    def error(self, attempts: int) -> ProviderError:
        tail = f" (gave up after {attempts} attempts)" if self.retryable and attempts > 1 else ""
        return ProviderError(
            self.message + tail,
            provider="sdapi",
            transient=self.retryable,
            status=self.status,
            retry_after=self.retry_after,
        )


def is_transient_message(message: str) -> bool:
    return bool(TRANSIENT_MESSAGE.search(message))


def server_message(payload: Any) -> str | None:
    """The service's error text: `message`, or the legacy spelling `messege`, or `error`."""
    if not isinstance(payload, Mapping):
        return None
    for field in ("message", "messege", "error", "detail"):
        value = payload.get(field)
        if value:
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return None


def retry_after(data: Any, response: requests.Response) -> float | None:
    """Seconds to wait: the body's `retry_after`, else the Retry-After header (seconds)."""
    candidates = [data.get("retry_after") if isinstance(data, dict) else None]
    candidates.append(response.headers.get("Retry-After"))
    for value in candidates:
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
        if seconds is not None and seconds >= 0:
            return seconds
    return None


def connect_phase(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the service: the connection itself failed
    (refused, unresolvable, connect timeout). A drop or read timeout after sending is not."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)
