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

import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bookbuild.errors import ProviderError

log = logging.getLogger("bookbuild.providers.stability")

SUBMIT_TIMEOUT = 180.0  # sync endpoints send nothing until the picture is ready (34 s seen live)
MAX_ATTEMPTS = 4
RATE_LIMIT_WAIT = 60.0  # "timed out for 60 seconds" after a 429
MAX_IMAGE_BYTES = 64 * 1024 * 1024
_MESSAGE_LIMIT = 600


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
Wait = Callable[[float], None]
Notify = Callable[[str, int, float], None]


class StabilityClient:
    """One `requests.Session` for one service address and key."""

    def __init__(
        self, base_url: str, key: str, *, timeout: float | None, sleep: Wait, notify: Notify
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._timeout = timeout or SUBMIT_TIMEOUT
        self._sleep = sleep
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
        parts = {name: (f"{name}.png", data, "image/png") for name, data in files.items()}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome = self._post_once(path, dict(fields), parts or {"none": ("", b"")})
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt == MAX_ATTEMPTS:
                break
            self._notify(f"{path}: {outcome.reason}", attempt, outcome.wait)
            self._sleep(outcome.wait)
        raise ProviderError(
            f"{outcome.reason}; gave up after {MAX_ATTEMPTS} attempts",
            provider="stability",
            transient=True,
            status=outcome.status,
        )

    def result(self, job_id: str) -> Answer:
        """GET /v2beta/results/{id}: Running while the service answers 202, then the picture."""
        url = f"{self.base_url}/v2beta/results/{job_id}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome = self._get_once(url)
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt < MAX_ATTEMPTS:
                self._notify(f"results: {outcome.reason}", attempt, outcome.wait)
                self._sleep(outcome.wait)
        raise ProviderError(
            f"could not read job {job_id}: {outcome.reason}; run make again to resume it",
            provider="stability",
            transient=True,
            status=outcome.status,
        )

    # -- one attempt -----------------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self._key}", "accept": accept}

    def _post_once(
        self, path: str, fields: dict[str, str], parts: dict[str, Any]
    ) -> Answer | _Retry:
        url = self.base_url + path
        try:
            response = self.session.post(
                url,
                headers=self._headers("image/*"),
                data=fields,
                files=parts,
                timeout=(10.0, self._timeout),
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            return _Retry("could not connect (timeout)", 2.0)
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                return _Retry("could not connect", 2.0)
            failure = "the connection dropped after the request was sent"
        except requests.Timeout:
            failure = f"no answer within {self._timeout:g} s after the request was sent"
        except requests.RequestException as exc:
            failure = f"the request failed ({type(exc).__name__})"
        else:
            with response:
                return self._read(response, submit=True)
        raise ProviderError(
            f"{failure}; Stability may have run (and billed) it, so it was not sent again; "
            "run make again to try once more",
            provider="stability",
            transient=True,
        )

    def _get_once(self, url: str) -> Answer | _Retry:
        try:
            response = self.session.get(url, headers=self._headers("*/*"), timeout=(10.0, 60.0))
        except requests.RequestException as exc:
            return _Retry(f"the poll failed ({type(exc).__name__})", 10.0)
        with response:
            return self._read(response, submit=False)

    def _read(self, response: requests.Response, *, submit: bool) -> Answer | _Retry:
        code = response.status_code
        if code == 202:
            return Running(str(_json(response).get("id") or ""))
        if code == 429:
            wait = _retry_after(response) or RATE_LIMIT_WAIT
            return _Retry(f"rate limited ({self._message(response)})", wait, code)
        if code >= 500 and not submit:
            return _Retry(f"HTTP {code} ({self._message(response)})", 10.0, code)
        if code >= 300:
            raise self._error(response)
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            return self._json_answer(response, content_type)
        data = response.content
        if len(data) > MAX_IMAGE_BYTES or not content_type.startswith("image/"):
            raise ProviderError(
                f"unexpected answer ({content_type or 'no content type'})", provider="stability"
            )
        seed = response.headers.get("seed", "")
        finish = response.headers.get("finish-reason", "SUCCESS").strip().upper()
        return Picture(data, content_type, int(seed) if seed.isdigit() else None, finish)

    def _json_answer(self, response: requests.Response, content_type: str) -> Answer:
        body = _json(response)
        encoded = body.get("image") or body.get("result")
        if not encoded:
            if body.get("id"):
                return Running(str(body["id"]))
            raise ProviderError("the answer holds no image", provider="stability")
        seed = body.get("seed")
        image_type = content_type.partition("type=")[2] or "image/png"
        finish = str(body.get("finish_reason") or "SUCCESS").upper()
        data = base64.b64decode(str(encoded))
        return Picture(data, image_type, int(seed) if isinstance(seed, int) else None, finish)

    def _error(self, response: requests.Response) -> ProviderError:
        code = response.status_code
        message = self._message(response)
        if 300 <= code < 400:
            message = "the service redirected the request; set `base_url` to the service's address"
        advice = ADVICE.get(_json(response).get("name", ""), "")
        return ProviderError(
            f"{message}{advice}"[:_MESSAGE_LIMIT], provider="stability", status=code
        )

    def _message(self, response: requests.Response) -> str:
        """The service's own words: `name: error; error`, verbatim (key redacted)."""
        body = _json(response)
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            text = f"{body.get('name', 'error')}: " + "; ".join(str(e) for e in errors)
        else:
            text = f"HTTP {response.status_code}"
        return text.replace(self._key, "***") if self._key else text


ADVICE = {
    "content_moderation": " (nothing was charged or stored; change the prompt or the picture)",
    "invalid_language": " (Stability takes English prompts only: write the prompt in English "
    "or let a chat preset `describe` it)",
    "public_figure": " (use a picture without a recognisable public figure)",
    "payload_too_large": " (the pictures sent were over 10 MiB; use a smaller input)",
}


@dataclass(frozen=True)
class _Retry:
    reason: str
    wait: float
    status: int | None = None


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not be opened (refused, no route, DNS): the request
    certainly did not reach the service."""
    text = repr(exc.args[0] if exc.args else exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "ConnectionRefused", "NameResolution", "Errno 111")
    )
