"""HTTP for the Stable Diffusion API (ModelsLab): JSON POSTs with the key in the body, retries
with capped exponential backoff, the response envelope, and size-capped downloads.

Secret hygiene: the key is added to a copy of the body at the moment of sending and appears
nowhere else. Error messages are built from the service's message (redacted) and never from a
request, a body or an exception of `requests` (whose objects can reach the request body), and
they are raised outside `except` blocks so no exception chain carries one either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import requests

from bookbuild.errors import ProviderError
from bookbuild.providers.sdapi.paths import absolute_url

log = logging.getLogger("bookbuild.providers.sdapi.provider")

MAX_ATTEMPTS = 4
MAX_WAIT = 60.0
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
_MESSAGE_LIMIT = 400

T = TypeVar("T")
Status = Literal["success", "processing"]


@dataclass(frozen=True)
class _Failure:
    """One failed attempt: retried when `retryable`, else raised."""

    reason: str
    message: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None

    def error(self, attempts: int) -> ProviderError:
        tail = f" (gave up after {attempts} attempts)" if self.retryable else ""
        return ProviderError(
            self.message + tail,
            provider="sdapi",
            transient=self.retryable,
            status=self.status,
            retry_after=self.retry_after,
        )


class SDAPIHttp:
    """One `requests.Session` talking to one service with one key."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float | None,
        sleep: Callable[[float], None],
        notify: Callable[[str, int, float], None],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._sleep = sleep
        self._notify = notify
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "bookbuild"

    def __repr__(self) -> str:
        return f"SDAPIHttp({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def url(self, url_or_path: str) -> str:
        return absolute_url(self.base_url, url_or_path)

    def post(self, url_or_path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` plus the key as JSON; the decoded JSON object of a 2xx answer."""
        url = self.url(url_or_path)
        path = urlsplit(url).path
        return self._with_retries(lambda: self._post_once(url, body), path)

    def download(self, url: str, *, retry_missing: bool = False) -> bytes:
        """GET an output file (no key), at most MAX_DOWNLOAD_BYTES. `retry_missing` retries
        404s too, for `future_links` that appear only when the job is done."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderError(
                "the service gave an output link that is not http(s)", provider="sdapi"
            )
        return self._with_retries(lambda: self._get_once(url, retry_missing), "download")

    def check(self, payload: Mapping[str, Any]) -> Status:
        """The envelope's `status`: success or processing; error/failed (even on HTTP 200)
        raise with the service's `message` (or legacy `messege`)."""
        status = str(payload.get("status", "")).strip().lower()
        if status in ("success", "processing"):
            return "success" if status == "success" else "processing"
        if not status and payload.get("output"):
            return "success"
        message = server_message(payload) or f"the service answered status {status!r}"
        raise ProviderError(self.redact(message)[:_MESSAGE_LIMIT], provider="sdapi")

    def redact(self, text: str) -> str:
        """`text` with the key, should the service ever echo it, replaced by ***."""
        if self._key and self._key in text:
            text = text.replace(self._key, "***")
        return text

    def _with_retries(self, attempt: Callable[[], T | _Failure], what: str) -> T:
        for n in range(1, MAX_ATTEMPTS + 1):
            outcome = attempt()
            if not isinstance(outcome, _Failure):
                return outcome
            if not outcome.retryable or n == MAX_ATTEMPTS:
                log.debug("%s failed: %s", what, outcome.reason)
                raise outcome.error(n)
            wait = min(outcome.retry_after if outcome.retry_after is not None else 2.0**n, MAX_WAIT)
            log.debug("%s: %s; retry %d in %.1f s", what, outcome.reason, n, wait)
            self._notify(f"{what}: {outcome.reason}", n, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _post_once(self, url: str, body: Mapping[str, Any]) -> dict[str, Any] | _Failure:
        host = urlsplit(url).netloc
        try:
            response = self.session.post(
                url, json={**body, "key": self._key}, timeout=self._timeout, allow_redirects=False
            )
        except requests.Timeout:
            return _Failure(
                "timeout", f"no answer from {host} within {self._timeout:g} s", None, True
            )
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            return _Failure("connection dropped", f"the connection to {host} failed", None, True)
        except requests.RequestException as exc:
            return _Failure("request failed", f"cannot call {host} ({type(exc).__name__})")
        with response:
            log.debug("POST %s -> HTTP %d", urlsplit(url).path, response.status_code)
            return self._read_json(response)

    def _read_json(self, response: requests.Response) -> dict[str, Any] | _Failure:
        code = response.status_code
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if 300 <= code < 400:
            where = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            message = f"the service redirected to {where}; set `base_url` to the service's address"
            return _Failure(f"HTTP {code}", message, code)
        if code >= 400:
            found = server_message(data) if isinstance(data, dict) else None
            message = self.redact(found or f"the service answered HTTP {code}")[:_MESSAGE_LIMIT]
            retryable = code in (408, 429) or code >= 500
            return _Failure(f"HTTP {code}", message, code, retryable, _retry_after(data, response))
        if not isinstance(data, dict):
            return _Failure("not JSON", "the service's answer is not a JSON object", code)
        return data

    def _get_once(self, url: str, retry_missing: bool) -> bytes | _Failure:
        try:
            with self.session.get(url, stream=True, timeout=self._timeout) as response:
                code = response.status_code
                if code >= 400:
                    retryable = code in (408, 429) or code >= 500 or (code == 404 and retry_missing)
                    message = (
                        f"could not download the image (HTTP {code}); the link may have expired"
                    )
                    return _Failure(f"HTTP {code}", message, code, retryable)
                return _read_capped(response)
        except requests.Timeout:
            return _Failure("timeout", "the image download timed out", None, True)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            return _Failure("connection dropped", "the image download was cut off", None, True)
        except requests.RequestException as exc:
            return _Failure("download failed", f"cannot download the image ({type(exc).__name__})")


def _read_capped(response: requests.Response) -> bytes | _Failure:
    too_big = _Failure("too large", f"the image is larger than {MAX_DOWNLOAD_BYTES >> 20} MB")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
        return too_big
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > MAX_DOWNLOAD_BYTES:
            return too_big
        chunks.append(chunk)
    return b"".join(chunks)


def server_message(payload: Any) -> str | None:
    """The service's error text: `message`, or the legacy spelling `messege`, or `error`."""
    if not isinstance(payload, Mapping):
        return None
    for field in ("message", "messege", "error", "detail"):
        value = payload.get(field)
        if value:
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return None


def _retry_after(data: Any, response: requests.Response) -> float | None:
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
