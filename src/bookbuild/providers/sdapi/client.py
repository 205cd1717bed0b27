"""HTTP for the Stable Diffusion API (ModelsLab): JSON POSTs with the key in the body and the
response envelope (`status`: success / processing / error, even on HTTP 200), on top of the
shared client (`bookbuild.providers.http`: retries, Retry-After, messages, capped downloads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from bookbuild.errors import ProviderError
from bookbuild.providers.http import (
    MESSAGE_LIMIT,
    Failure,
    HttpClient,
    Notify,
    RetryPolicy,
    server_message,
)
from bookbuild.providers.sdapi.paths import absolute_url

MAX_ATTEMPTS = 4
MAX_WAIT = 60.0
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0

Status = Literal["success", "processing"]


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
        policy = RetryPolicy(
            max_retries=MAX_ATTEMPTS - 1,
            base_delay=2.0,
            max_delay=MAX_WAIT,
            max_retry_after=float("inf"),
            max_wait=MAX_WAIT,
            jitter=0.0,
            sleep=sleep,
        )
        super().__init__(
            base_url.rstrip("/"),
            "sdapi",
            policy=policy,
            timeout=timeout or DEFAULT_TIMEOUT,
            secrets=(key,),
            notify=notify,
            max_download=MAX_DOWNLOAD_BYTES,
        )
        self._key = key

    def __repr__(self) -> str:
        return f"SDAPIHttp({self.base_url!r})"

    def url(self, url_or_path: str) -> str:
        return absolute_url(self.base_url, url_or_path)

    def post(self, url_or_path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` plus the key as JSON; the decoded JSON object of a 2xx answer."""
        url = self.url(url_or_path)
        return self.retrying(lambda: self._post_once(url, body), self._path(url))

    def _post_once(self, url: str, body: Mapping[str, Any]) -> dict[str, Any] | Failure:
        answer = self.json_once("POST", url, json={**body, "key": self._key})
        if isinstance(answer, Failure | dict):
            return answer
        return Failure("not JSON", "the service's answer is not a JSON object")

    @staticmethod
    def _path(url: str) -> str:
        return urlsplit(url).path

    def check(self, payload: Mapping[str, Any]) -> Status:
        """The envelope's `status`: success or processing; error/failed (even on HTTP 200)
        raise with the service's `message` (or legacy `messege`)."""
        status = str(payload.get("status", "")).strip().lower()
        if status in ("success", "processing"):
            return "success" if status == "success" else "processing"
        if not status and payload.get("output"):
            return "success"
        message = server_message(payload) or f"the service answered status {status!r}"
        raise ProviderError(self.redact(message)[:MESSAGE_LIMIT], provider="sdapi")
