"""HTTP for Stability AI's REST v2beta: multipart submits, the image answer and its headers,
the `{id, name, errors[]}` error shape, and the results of asynchronous jobs.

A submit is sent again only when the service certainly did not take it: the connection could
not be opened, or a 429 said the request was refused for the rate limit. Once the body may
have reached the service (a dropped connection, a read timeout, a 5xx), the error says the job
may have run and been billed, and nothing is sent again. Polls of `/v2beta/results/{id}` are
plain reads and are retried.

Secret hygiene: the key goes only into the `authorization` header of a request; messages are
built from the service's own `name` and `errors` (with the key, should it ever be echoed,
replaced by ***) and raised outside `except` blocks, so no exception chain carries a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bookbuild.providers.failure import Failure
from bookbuild.providers.http import (
    Notify,
    RetryPolicy,
    redact,
    retry_after,
    server_message,
    with_retries,
)

log = logging.getLogger("bookbuild.providers.stability")

SUBMIT_TIMEOUT = 180.0  # sync endpoints send nothing until the picture is ready (34 s seen live)
CONNECT_TIMEOUT = 10.0
RATE_LIMIT_WAIT = 60.0  # "timed out for 60 seconds" after a 429
MAX_IMAGE_BYTES = 64 * 1024 * 1024
MESSAGE_LIMIT = 600
MAYBE_RAN = (
    "Stability may have run (and billed) it, so it was not sent again; run make again to try "
    "once more"
)


@dataclass(frozen=True)
class Picture:
    """An image answer: its bytes and what the service reported with it."""

    data: bytes
    content_type: str
    seed: int | None
    finish_reason: str


@dataclass(frozen=True)
class Running:
    """An asynchronous job the service accepted (answer `{id}`), or still running (202)."""

    id: str


Answer = Picture | Running


class StabilityClient:
    """One `requests.Session` for one service address and key, retrying through the shared
    policy (`bookbuild.providers.http`) only what the module docstring allows."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float | None,
        policy: RetryPolicy,
        notify: Notify | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._timeout = timeout or SUBMIT_TIMEOUT
        self._policy = policy
        self._notify = notify
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "bookbuild"
        self.session.headers["stability-client-id"] = "bookbuild"

    def __repr__(self) -> str:
        return f"StabilityClient({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def submit(self, path: str, fields: Mapping[str, str], files: Mapping[str, bytes]) -> Answer:
        """POST one multipart request; the picture, or the id of an asynchronous job."""
        parts = {name: (name, data, _content_type(data)) for name, data in files.items()}
        body = parts or {"none": ("", b"", "application/octet-stream")}  # always multipart
        return self._retrying(lambda: self._post_once(path, dict(fields), body), path)

    def result(self, job_id: str) -> Answer:
        """GET /v2beta/results/{id}: Running while the service answers 202, then the picture."""
        url = f"{self.base_url}/v2beta/results/{job_id}"
        return self._retrying(lambda: self._get_once(url), "results")

    def _retrying(self, attempt: Callable[[], Answer | Failure], what: str) -> Answer:
        def boxed() -> list[Answer] | Failure:  # one type for with_retries to solve
            outcome = attempt()
            return outcome if isinstance(outcome, Failure) else [outcome]

        policy, notify = self._policy, self._notify
        return with_retries(boxed, provider="stability", what=what, policy=policy, notify=notify)[0]

    # -- one attempt -----------------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self._key}", "accept": accept}

    def _post_once(
        self, path: str, fields: dict[str, str], parts: dict[str, Any]
    ) -> Answer | Failure:
        try:
            response = self.session.post(
                self.base_url + path,
                headers=self._headers("image/*"),
                data=fields,
                files=parts,
                timeout=(CONNECT_TIMEOUT, self._timeout),
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            return Failure("connect timeout", "could not connect to Stability", retryable=True)
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                return Failure("refused", "could not connect to Stability", retryable=True)
            failure = "the connection dropped after the request was sent"
        except requests.Timeout:
            failure = f"no answer within {self._timeout:g} s after the request was sent"
        except requests.RequestException as exc:
            failure = f"the request failed ({type(exc).__name__})"
        else:
            with response:
                return self._read(response, submit=True)
        return Failure("maybe accepted", f"{failure}; {MAYBE_RAN}")

    def _get_once(self, url: str) -> Answer | Failure:
        try:
            response = self.session.get(
                url, headers=self._headers("*/*"), timeout=(CONNECT_TIMEOUT, 60.0)
            )
        except requests.RequestException as exc:
            message = f"could not read the job ({type(exc).__name__}); run make again to resume it"
            return Failure("poll failed", message, retryable=True, retry_after=10.0)
        with response:
            return self._read(response, submit=False)

    def _read(self, response: requests.Response, *, submit: bool) -> Answer | Failure:
        code = response.status_code
        if code == 202:
            return Running(str(_json(response).get("id") or ""))
        if code == 429 or (code >= 500 and not submit):
            wait = retry_after(response.headers, _json(response))
            message = self._message(response)
            return Failure(
                f"HTTP {code}",
                message,
                code,
                True,
                wait or (RATE_LIMIT_WAIT if code == 429 else None),
            )
        if code >= 500:
            return Failure(f"HTTP {code}", f"{self._message(response)}; {MAYBE_RAN}", code)
        if code >= 300:
            return self._failure(response)
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            return self._json_answer(response, content_type)
        data = response.content
        if len(data) > MAX_IMAGE_BYTES or not content_type.startswith("image/"):
            shown = content_type or "no content type"
            return Failure("not an image", f"unexpected answer ({shown})", code)
        seed = response.headers.get("seed", "")
        finish = response.headers.get("finish-reason", "SUCCESS").strip().upper()
        return Picture(data, content_type, int(seed) if seed.isdigit() else None, finish)

    def _json_answer(self, response: requests.Response, content_type: str) -> Answer | Failure:
        """A JSON success is an asynchronous job's `{id}` (pictures are asked as image/*)."""
        job_id = _json(response).get("id")
        if job_id:
            return Running(str(job_id))
        return Failure("no image", f"unexpected answer ({content_type})", response.status_code)

    def _failure(self, response: requests.Response) -> Failure:
        code = response.status_code
        message = self._message(response)
        if 300 <= code < 400:
            message = "the service redirected the request; set `base_url` to the service's address"
        advice = ADVICE.get(str(_json(response).get("name", "")), "")
        return Failure(f"HTTP {code}", f"{message}{advice}"[:MESSAGE_LIMIT], code)

    def _message(self, response: requests.Response) -> str:
        """The service's own words: `name: error; error`, verbatim (the key redacted)."""
        body = _json(response)
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            text = f"{body.get('name', 'error')}: " + "; ".join(str(e) for e in errors)
        else:
            text = server_message(body) or f"HTTP {response.status_code}"
        return redact(text, (self._key,))


ADVICE = {
    "content_moderation": " (nothing was charged or stored; change the prompt or the picture)",
    "invalid_language": " (Stability takes English prompts only: write the prompt in English "
    "or let a chat preset `describe` it)",
    "public_figure": " (use a picture without a recognisable public figure)",
    "payload_too_large": " (the pictures sent were over 10 MiB; use a smaller input)",
}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _content_type(data: bytes) -> str:
    return "image/webp" if data[8:12] == b"WEBP" else "image/png"


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not be opened (refused, no route, DNS): the request
    certainly did not reach the service."""
    text = repr(exc.args[0] if exc.args else exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "ConnectionRefused", "NameResolution", "Errno 111")
    )
