"""HTTP for the Stable Diffusion API (ModelsLab): JSON POSTs with the key in the body and the
response envelope (`status`: success / processing / error, even on HTTP 200), on top of the
shared client (`bookbuild.providers.http`: retries, Retry-After, messages, capped downloads).

Retries differ by what a request costs. Fetches and uploads are free and idempotent: they are
retried on timeouts, dropped connections, 408/429/5xx and on an error envelope whose message
says "try again" (even inside HTTP 200). A submit is paid and the service has no idempotency
key, so it is re-sent only when the service certainly did not take it: the connection could not
be made, a 429 or 503 (not queued), or an error envelope that says so. After a read timeout, a
dropped connection or another 5xx the job may be running: the step fails and says so.

Anything the service echoes that is written to disk (the job journal) is redacted first
(`conceal`), and put back in memory when read (`reveal`), so a resumed job still works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from bookbuild.errors import ProviderError
from bookbuild.providers.failure import Failure
from bookbuild.providers.http import (
    MESSAGE_LIMIT,
    NOT_SENT,
    HttpClient,
    Notify,
    RetryPolicy,
    server_message,
    with_retries,
)
from bookbuild.providers.sdapi.paths import absolute_url

MAX_ATTEMPTS = 8  # a fetch, upload or download: free, so asked again while the service is busy
SUBMIT_ATTEMPTS = 8  # a submit the service refused (429, 503, busy): it was not queued
MAX_WAIT = 60.0
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
SUBMIT_TIMEOUT = 180.0
NOT_QUEUED_STATUSES = (429, 503)
KEY_MARK = "***"

TRANSIENT_MESSAGE = re.compile(
    r"try again|server (is )?busy|queue (is )?full|too many requests|rate limit|"
    r"temporarily|overloaded|not queued|high (demand|load)",
    re.IGNORECASE,
)
"""An error envelope whose message matches this is the service saying it did not take the
request for now: retried like a 5xx, and for a submit it means the job was not queued."""

Status = Literal["success", "processing"]


def is_transient_message(message: str) -> bool:
    return bool(TRANSIENT_MESSAGE.search(message))


class SDAPIHttp(HttpClient):
    """The shared client, with the key sent in each POST body and URLs kept on the service."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float | None,
        sleep: Callable[[float], None],
        notify: Notify,
    ) -> None:
        super().__init__(
            base_url.rstrip("/"),
            "sdapi",
            policy=_policy(MAX_ATTEMPTS, sleep),
            timeout=timeout or DEFAULT_TIMEOUT,
            secrets=(key,),
            notify=notify,
            max_download=MAX_DOWNLOAD_BYTES,
        )
        self._key = key
        self._submit_policy = _policy(SUBMIT_ATTEMPTS, sleep)

    def __repr__(self) -> str:
        return f"SDAPIHttp({self.base_url!r})"

    def url(self, url_or_path: str) -> str:
        return absolute_url(self.base_url, url_or_path)

    def post(self, url_or_path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` plus the key as JSON (a fetch or an upload: free, so retried on any
        transient failure); the decoded JSON object of a 2xx answer."""
        url = self.url(url_or_path)
        return self.retrying(lambda: self._post_once(url, body, False), urlsplit(url).path)

    def submit(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a paid job; re-sent only when the service certainly did not take it."""
        url = self.url(path)
        return with_retries(
            lambda: self._post_once(url, body, True),
            provider=self.provider,
            what=urlsplit(url).path,
            policy=self._submit_policy,
            notify=self.notify,
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
        """`value` read back from disk, with the key put back in the URLs `conceal` redacted
        (a URL the service echoed the key in must still work when a job is resumed)."""
        if isinstance(value, str):
            is_url = value.startswith(("http://", "https://"))
            return value.replace(KEY_MARK, self._key) if self._key and is_url else value
        if isinstance(value, list):
            return [self.reveal(item) for item in value]
        if isinstance(value, dict):
            return {name: self.reveal(item) for name, item in value.items()}
        return value

    def _post_once(self, url: str, body: Mapping[str, Any], paid: bool) -> dict[str, Any] | Failure:
        timeout = max(self.timeout, SUBMIT_TIMEOUT) if paid else None
        raw = self.json_once("POST", url, timeout, json={**body, "key": self._key})
        answer: dict[str, Any] | Failure
        if isinstance(raw, dict):
            answer = self._busy(raw)
        elif isinstance(raw, Failure):
            answer = raw
        else:
            answer = Failure("not JSON", "the service's answer is not a JSON object")
        if paid and isinstance(answer, Failure) and answer.retryable:
            return _unless_not_queued(answer)
        return answer

    def _busy(self, answer: dict[str, Any]) -> dict[str, Any] | Failure:
        """An error envelope saying "try again later" (even in HTTP 200) as a retryable
        Failure: the service did not take the request."""
        found = server_message(answer)
        if str(answer.get("status", "")).lower() != "error" or not is_transient_message(found):
            return answer
        message = self.redact(found)[:MESSAGE_LIMIT]
        return Failure("busy (not queued)", message, None, True)


def _policy(attempts: int, sleep: Callable[[float], None]) -> RetryPolicy:
    return RetryPolicy(
        max_retries=attempts - 1,
        base_delay=1.0,
        max_delay=MAX_WAIT,
        max_retry_after=float("inf"),
        max_wait=MAX_WAIT,
        jitter=0.0,
        sleep=sleep,
    )


def _unless_not_queued(failure: Failure) -> Failure:
    """A submit's failure: re-sent only when the service certainly did not queue the job."""
    if failure.reason in (NOT_SENT, "busy (not queued)"):
        return failure
    said_so = failure.status is not None and is_transient_message(failure.message)
    if failure.status in NOT_QUEUED_STATUSES or said_so:
        return Failure(
            f"{failure.reason} (not queued)",
            failure.message,
            failure.status,
            True,
            failure.retry_after,
        )
    return Failure(
        failure.reason,
        f"{failure.message}. The job may have been queued and charged all the same, so it was "
        "not sent again: check the service's dashboard, then run make again to submit it once "
        "more",
        failure.status,
        False,
        failure.retry_after,
    )
