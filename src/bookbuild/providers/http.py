"""HTTP shared by every provider that talks to a service: the retry policy, Retry-After, the
server's own error message, key redaction, and a `requests` client built from them.

Downloads of result files have an overall deadline (a server trickling bytes cannot hold a build
forever), follow redirects only to http(s) and never from a public host to a loopback, private or
link-local address, and are size-capped while reading.

Secret hygiene: a key is added to a request at the moment of sending and appears nowhere else.
Error messages are built from the service's message (redacted) and never from a request, a body
or an exception of `requests` (whose objects can reach the request body), and they are raised
outside `except` blocks so no exception chain carries one either.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit

from bookbuild.errors import ProviderError
from bookbuild.providers.failure import CONNECT_ATTEMPTS as CONNECT_ATTEMPTS
from bookbuild.providers.failure import NOT_SENT as NOT_SENT
from bookbuild.providers.failure import Failure, never_sent

if TYPE_CHECKING:
    import requests

log = logging.getLogger("bookbuild.providers.http")

T = TypeVar("T")
MESSAGE_LIMIT = 400
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
Notify = Callable[[str, int, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to wait before retrying a transient failure."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # a server asking to wait longer: give up
    max_wait: float = math.inf  # a Retry-After is honoured up to this many seconds
    jitter: float = 0.25
    sleep: Callable[[float], None] = time.sleep

    def wait(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number `retry` (from 1), or None to give up."""
        if retry > self.max_retries or (retry_after or 0.0) > self.max_retry_after:
            return None
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_wait)
        backoff = min(self.base_delay * 2.0 ** (retry - 1), self.max_delay)
        return backoff * (1 - self.jitter * random.random())


def retry_after(headers: Mapping[str, str], body: Any = None) -> float | None:
    """Seconds the server asks to wait: the body's `retry_after`, else `retry-after-ms`, else
    `retry-after` (seconds or an HTTP date)."""
    values: list[tuple[Any, float]] = []
    if isinstance(body, Mapping):
        values.append((body.get("retry_after"), 1.0))
    values += [(headers.get("retry-after-ms"), 1000.0), (headers.get("retry-after"), 1.0)]
    for value, scale in values:
        try:
            seconds = float(value) / scale if value is not None else math.nan
        except (TypeError, ValueError):
            continue
        if not math.isnan(seconds):  # inf: "wait forever", which gives up
            return max(seconds, 0.0)
    date = email.utils.parsedate_tz(headers.get("retry-after") or "")
    return max(email.utils.mktime_tz(date) - time.time(), 0.0) if date else None


def server_message(body: object) -> str:
    """The service's own error text: `message` (or ModelsLab's legacy `messege`), `detail`
    (FastAPI), `error` (a string, or OpenAI's `{"error": {"message"}}`), or plain text."""
    if isinstance(body, Mapping):
        for key in ("message", "messege", "detail", "error"):
            value = body.get(key)
            if isinstance(value, Mapping):
                nested = server_message(value)
                if nested:
                    return nested
            if isinstance(value, str) and value.strip():
                return value.strip()
            if value and not isinstance(value, str):
                return json.dumps(value, ensure_ascii=False)
        return ""
    return body.strip()[:500] if isinstance(body, str) else ""


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (a key a service echoed) replaced by ***."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


def with_retries(
    attempt: Callable[[], T | Failure],
    *,
    provider: str,
    what: str,
    policy: RetryPolicy,
    notify: Notify | None = None,
) -> T:
    """Run `attempt` until it gives a value; retry a retryable Failure as `policy` allows. A
    connection that cannot be made is tried at most CONNECT_ATTEMPTS times: a service that is
    down fails its step in seconds (and the build stops sending to it), not after minutes."""
    n = refused = 0
    while True:
        n += 1
        outcome = attempt()
        if not isinstance(outcome, Failure):
            return outcome
        refused = refused + 1 if outcome.reason == NOT_SENT else 0
        wait = policy.wait(n, outcome.retry_after) if outcome.retryable else None
        if refused >= CONNECT_ATTEMPTS:
            wait = None
        if wait is None:
            log.debug("%s failed: %s", what, outcome.reason)
            raise outcome.error(provider, n)
        log.debug("%s: %s; retry %d in %.1f s", what, outcome.reason, n, wait)
        if notify is not None:
            notify(f"{what}: {outcome.reason}", n, wait)
        policy.sleep(wait)


def absolute_url(base_url: str, url_or_path: str) -> str:
    """A full URL for a path of the service (or a full URL as it is)."""
    if urlsplit(url_or_path).scheme:
        return url_or_path
    return urljoin(base_url.rstrip("/") + "/", url_or_path.lstrip("/"))


@dataclass
class HttpClient:
    """One `requests.Session` talking to one service: JSON requests and capped downloads, each
    retried as `policy` allows. `secrets` are redacted from every message."""

    base_url: str
    provider: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = DEFAULT_TIMEOUT
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    notify: Notify | None = None
    max_download: int = MAX_DOWNLOAD_BYTES

    def __post_init__(self) -> None:
        import requests  # here, not at the top: a draft build needs no HTTP client

        self.session = requests.Session()
        self.session.headers["User-Agent"] = "bookbuild"
        self.session.headers.update(self.headers)

    def __repr__(self) -> str:
        return f"HttpClient({self.provider!r}, {self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def url(self, url_or_path: str) -> str:
        return absolute_url(self.base_url, url_or_path)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def retrying(self, attempt: Callable[[], T | Failure], what: str) -> T:
        return with_retries(
            attempt, provider=self.provider, what=what, policy=self.policy, notify=self.notify
        )

    def request_json(self, method: str, url_or_path: str, **kwargs: Any) -> Any:
        """Send a request (retried when transient); the decoded JSON of a 2xx answer."""
        url = self.url(url_or_path)
        what = f"{method} {urlsplit(url).path}"
        return self.retrying(lambda: self.json_once(method, url, **kwargs), what)

    def json_once(self, method: str, url: str, timeout: float | None = None, **kwargs: Any) -> Any:
        """One request; its JSON, or the Failure saying why not. A Failure whose reason starts
        with NOT_SENT means the request certainly never reached the service."""
        import requests

        host = urlsplit(url).netloc
        timeout = timeout or self.timeout
        try:
            response = self.session.request(
                method, url, timeout=timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            return transport_failure(exc, host, timeout)
        with response:
            log.debug("%s %s -> HTTP %d", method, urlsplit(url).path, response.status_code)
            return self.read_json(response)

    def read_json(self, response: requests.Response) -> Any:
        code = response.status_code
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if 300 <= code < 400:
            where = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            message = f"the service redirected to {where}; set `base_url` to the service's address"
            return Failure(f"HTTP {code}", message, code)
        if code >= 400:
            found = server_message(data)
            message = self.redact(found or f"the service answered HTTP {code}")[:MESSAGE_LIMIT]
            retryable = code in (408, 429) or code >= 500
            wait = retry_after(response.headers, data)
            return Failure(f"HTTP {code}", message, code, retryable, wait)
        if data is None:
            return Failure("not JSON", "the service's answer is not JSON", code)
        return data

    def download(self, url: str, *, retry_missing: bool = False) -> bytes:
        """GET a result file (no credentials), at most `max_download` bytes, within
        `downloads.DOWNLOAD_DEADLINE` for all its attempts together. `retry_missing` retries
        404s too, for links that appear only when a job is done (or 404 for a moment after)."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderError(
                "the service gave an output link that is not http(s)", provider=self.provider
            )
        from bookbuild.providers import downloads

        limit = downloads.DOWNLOAD_DEADLINE
        ends = time.monotonic() + limit  # one deadline for every attempt of this download

        def attempt() -> bytes | Failure:
            left = ends - time.monotonic()
            if left <= 0:  # transient: a later make downloads it again (the job is kept)
                message = f"the image download was too slow: not done within {limit:g} s"
                raise ProviderError(
                    message + " over all its attempts", provider=self.provider, transient=True
                )
            return self.get_once(url, retry_missing, deadline=left)

        return self.retrying(attempt, "download")

    def get_once(
        self, url: str, retry_missing: bool = False, deadline: float | None = None
    ) -> bytes | Failure:
        from bookbuild.providers.downloads import download_once

        timeout = self.timeout if deadline is None else min(self.timeout, max(deadline, 0.1))
        return download_once(
            self.session,
            url,
            timeout=timeout,
            limit=self.max_download,
            missing=retry_missing,
            deadline=deadline,
        )


def transport_failure(exc: Exception, host: str, timeout: float) -> Failure:
    """The Failure of a request that got no answer (retryable: a free request may be sent
    again; a paid one only when NOT_SENT)."""
    import requests

    if never_sent(exc):
        return Failure(NOT_SENT, f"cannot connect to {host}", None, True)
    if isinstance(exc, requests.Timeout):
        return Failure("timeout", f"no answer from {host} within {timeout:g} s", None, True)
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return Failure("connection dropped", f"the connection to {host} failed", None, True)
    return Failure("request failed", f"cannot call {host} ({type(exc).__name__})")
