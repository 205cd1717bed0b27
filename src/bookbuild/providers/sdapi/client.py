"""HTTP for the Stable Diffusion API (ModelsLab): JSON POSTs with the key in the body, retries
with capped exponential backoff, the response envelope, and size-capped downloads.

Retries differ by what a request costs. Fetches and uploads are free and idempotent: they are
retried on timeouts, dropped connections, 408/429/5xx and on an error envelope whose message
says "try again" (even inside HTTP 200). A submit is paid and the service has no idempotency
key, so it is re-sent only when the service certainly did not take it: the connection could not
be made, a 429 or 503 (not queued), or an error envelope that says so. After a read timeout, a
dropped connection or another 5xx the job may be running: the step fails and says so.

Secret hygiene: the key is added to a copy of the body at the moment of sending and appears
nowhere else. Error messages are built from the service's message (redacted) and never from a
request, a body or an exception of `requests` (whose objects can reach the request body), and
they are raised outside `except` blocks so no exception chain carries one either. Anything the
service echoes that is written to disk (the job journal) is redacted first (`conceal`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import requests

from bookbuild.errors import ProviderError
from bookbuild.providers.sdapi.downloads import download
from bookbuild.providers.sdapi.failures import (
    MESSAGE_LIMIT,
    Failure,
    connect_phase,
    is_transient_message,
    retry_after,
    server_message,
)
from bookbuild.providers.sdapi.paths import absolute_url

__all__ = ["SDAPIHttp", "server_message"]

log = logging.getLogger("bookbuild.providers.sdapi.provider")

MAX_ATTEMPTS = 4
SUBMIT_ATTEMPTS = 6
MAX_WAIT = 60.0
DEFAULT_TIMEOUT = 60.0
SUBMIT_TIMEOUT = 180.0
NOT_QUEUED_STATUSES = (429, 503)
KEY_MARK = "***"

T = TypeVar("T")
Status = Literal["success", "processing"]


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
        """POST `body` plus the key as JSON (a fetch or an upload: free, so retried on any
        transient failure); the decoded JSON object of a 2xx answer."""
        url = self.url(url_or_path)
        path = urlsplit(url).path
        return self._with_retries(lambda: self._post_once(url, body, False), path, MAX_ATTEMPTS)

    def submit(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a paid job; re-sent only when the service certainly did not take it."""
        url = self.url(path)
        return self._with_retries(lambda: self._post_once(url, body, True), path, SUBMIT_ATTEMPTS)

    def download(self, url: str, *, retry_missing: bool = False) -> bytes:
        """GET an output file (no key; see `downloads`). `retry_missing` retries 404s too, for
        links that appear only shortly after the job is done."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderError(
                "the service gave an output link that is not http(s)", provider="sdapi"
            )
        return self._with_retries(
            lambda: download(self.session, url, timeout=self._timeout, retry_missing=retry_missing),
            "download",
            MAX_ATTEMPTS,
        )

    def check(self, payload: Mapping[str, Any]) -> Status:
        """The envelope's `status`: success or processing; error/failed (even on HTTP 200)
        raise with the service's `message` (or legacy `messege`), transient when it says to
        try again."""
        status = str(payload.get("status", "")).strip().lower()
        if status in ("success", "processing"):
            return "success" if status == "success" else "processing"
        if not status and payload.get("output"):
            return "success"
        message = server_message(payload) or f"the service answered status {status!r}"
        transient = status != "failed" and is_transient_message(message)
        raise ProviderError(
            self.redact(message)[:MESSAGE_LIMIT], provider="sdapi", transient=transient
        )

    def redact(self, text: str) -> str:
        """`text` with the key, should the service ever echo it, replaced by ***."""
        if self._key and self._key in text:
            text = text.replace(self._key, KEY_MARK)
        return text

    def conceal(self, value: Any) -> Any:
        """`value` (JSON) with every echo of the key redacted, for writing to disk."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.conceal(item) for item in value]
        if isinstance(value, dict):
            return {name: self.conceal(item) for name, item in value.items()}
        return value

    def reveal(self, value: Any) -> Any:
        """`value` read back from disk, with the key put back where `conceal` redacted it (a
        URL the service echoed the key in must still work when a job is resumed)."""
        if isinstance(value, str):
            is_url = value.startswith(("http://", "https://"))
            return value.replace(KEY_MARK, self._key) if self._key and is_url else value
        if isinstance(value, list):
            return [self.reveal(item) for item in value]
        if isinstance(value, dict):
            return {name: self.reveal(item) for name, item in value.items()}
        return value

    def _with_retries(self, attempt: Callable[[], T | Failure], what: str, attempts: int) -> T:
        for n in range(1, attempts + 1):
            outcome = attempt()
            if not isinstance(outcome, Failure):
                return outcome
            if not outcome.retryable or n == attempts:
                log.debug("%s failed: %s", what, outcome.reason)
                raise outcome.error(n)
            wait = min(outcome.retry_after if outcome.retry_after is not None else 2.0**n, MAX_WAIT)
            log.debug("%s: %s; retry %d in %.1f s", what, outcome.reason, n, wait)
            self._notify(f"{what}: {outcome.reason}", n, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _post_once(self, url: str, body: Mapping[str, Any], paid: bool) -> dict[str, Any] | Failure:
        host = urlsplit(url).netloc
        timeout = max(self._timeout, SUBMIT_TIMEOUT) if paid else self._timeout
        try:
            response = self.session.post(
                url, json={**body, "key": self._key}, timeout=timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            return _transport_failure(exc, host, timeout, paid)
        with response:
            log.debug("POST %s -> HTTP %d", urlsplit(url).path, response.status_code)
            outcome = self._read_json(response)
        if paid and isinstance(outcome, Failure) and outcome.retryable:
            return _unless_not_queued(outcome)
        return outcome

    def _read_json(self, response: requests.Response) -> dict[str, Any] | Failure:
        code = response.status_code
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if 300 <= code < 400:
            where = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            message = f"the service redirected to {where}; set `base_url` to the service's address"
            return Failure(f"HTTP {code}", message, code)
        found = server_message(data) if isinstance(data, dict) else None
        envelope = str(data.get("status", "")).lower() if isinstance(data, dict) else ""
        if code >= 400 or (envelope == "error" and found and is_transient_message(found)):
            message = self.redact(found or f"the service answered HTTP {code}")[:MESSAGE_LIMIT]
            retryable = code in (408, 429) or code >= 500 or code < 400
            not_queued = code in NOT_QUEUED_STATUSES or bool(found and is_transient_message(found))
            reason = f"HTTP {code}" + (" (not queued)" if not_queued else "")
            return Failure(reason, message, code, retryable, retry_after(data, response))
        if not isinstance(data, dict):
            return Failure("not JSON", "the service's answer is not a JSON object", code)
        return data


def _transport_failure(
    exc: requests.RequestException, host: str, timeout: float, paid: bool
) -> Failure:
    """A failure with no answer: retryable for a fetch; for a submit only before sending."""
    if paid and connect_phase(exc):
        return Failure("cannot connect (not sent)", f"cannot connect to {host}", None, True)
    if isinstance(exc, requests.Timeout):
        failure = Failure("timeout", f"no answer from {host} within {timeout:g} s", None, True)
    elif isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        failure = Failure("connection dropped", f"the connection to {host} failed", None, True)
    else:
        return Failure("request failed", f"cannot call {host} ({type(exc).__name__})")
    return _unless_not_queued(failure) if paid else failure


def _unless_not_queued(failure: Failure) -> Failure:
    """A submit's failure: re-sent only when the service said it did not queue the job."""
    if failure.reason.endswith("(not queued)") or failure.reason.startswith("cannot connect"):
        return failure
    return Failure(
        failure.reason,
        f"{failure.message}. The job may have been queued and charged all the same, so it was "
        "not sent again: check the service's dashboard, then run make again to submit it once "
        "more",
        failure.status,
        False,
        failure.retry_after,
    )
