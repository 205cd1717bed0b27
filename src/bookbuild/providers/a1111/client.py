"""HTTP to one AUTOMATIC1111 / Forge web UI, on the shared client (`providers.http`): JSON in
and out, HTTP Basic auth when the server runs with `--api-auth`, and every failure one clear
ProviderError: the server not running (naming the URL and how to start it), started without
`--api`, refusing the credentials, or refusing the request in its own words (a 422 field by
field). The credentials live in the session only; no message is built from a request.

What is retried: a dropped connection and 502/503/504 (a proxy in front of the web UI). Not: a
500, which is an exception in the web UI (out of memory, a bad ControlNet unit) and would fail
again; nor a timeout, since the web UI is still drawing and a resend would queue behind it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bookbuild.providers.a1111.answers import server_message
from bookbuild.providers.failure import Failure
from bookbuild.providers.http import NOT_SENT, HttpClient, Notify, RetryPolicy
from bookbuild.providers.reach import listening

NAME = "a1111"
BASE_URL_ENV = "A1111_BASE_URL"
AUTH_ENV = "A1111_AUTH"
DEFAULT_BASE_URL = "http://127.0.0.1:7860"
DEFAULT_TIMEOUT = 600.0
"""Seconds for one picture: the web UI answers only when it is done, one picture at a time."""
START_HINT = (
    "start the web UI with its API on (`./webui.sh --api`, or `webui-user.bat` with "
    "`set COMMANDLINE_ARGS=--api`; Forge and reForge take the same flag), or point "
    f"{BASE_URL_ENV} or the preset's `base_url` at it"
)
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})

_TURNS: dict[str, threading.Lock] = {}
_TURNS_GUARD = threading.Lock()


def _turn(base_url: str) -> threading.Lock:
    """One lock per web UI: it draws one picture at a time for every client, so this process
    sends one generation at a time and each waits only for its own picture (its timeout)."""
    with _TURNS_GUARD:
        return _TURNS.setdefault(base_url, threading.Lock())


class A1111Client(HttpClient):
    def __init__(
        self,
        base_url: str,
        auth: tuple[str, str] | None,
        timeout: float | None,
        notify: Notify | None = None,
    ) -> None:
        super().__init__(
            base_url.rstrip("/"),
            NAME,
            policy=RetryPolicy(max_retries=2),
            timeout=timeout or DEFAULT_TIMEOUT,
            secrets=(auth[1],) if auth else (),
            notify=notify,
        )
        if auth is not None:
            self.session.auth = auth
        self.shown_url = shown(self.base_url)

    def __repr__(self) -> str:
        return f"A1111Client({self.shown_url!r})"

    def get(self, path: str) -> Any:
        """A discovery GET (which checkpoints, upscalers, ControlNet models it has)."""
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """A generation: one at a time per web UI."""
        with _turn(self.base_url):
            return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.url(path)
        return self.retrying(lambda: self._once(method, url, path, **kwargs), f"{method} {path}")

    def _once(self, method: str, url: str, path: str, **kwargs: Any) -> Any:
        outcome = self.json_once(method, url, **kwargs)
        if not isinstance(outcome, Failure):
            return outcome
        if outcome.reason == NOT_SENT or (
            outcome.reason == "connection dropped" and not listening(self.base_url, 3.0)
        ):
            return Failure("not running", not_running(self.shown_url))
        if outcome.reason == "connection dropped":
            message = f"the web UI at {self.shown_url} closed the connection before answering"
            return replace(outcome, message=message)
        if outcome.reason == "timeout":
            message = (
                f"no answer from {self.shown_url}{path} within {self.timeout:g} s; the web UI may "
                "still be drawing: raise the preset's `timeout` for large pictures"
            )
            return Failure("timeout", message)
        if outcome.status == 404 and path.startswith("/sdapi/") and "Not Found" in outcome.message:
            return replace(outcome, message=no_api(self.shown_url, path))
        return outcome

    def read_json(self, response: Any) -> Any:
        """The shared reading, with the web UI's own words for a refusal."""
        code = response.status_code
        if code < 400:
            return super().read_json(response)
        try:
            data: Any = response.json()
        except ValueError:
            data = response.text[:300]
        message = self.redact(server_message(code, data))
        if code == 401:
            message = (
                f"the web UI at {self.shown_url} refused the credentials ({message}): set "
                f"{AUTH_ENV}=user:password to one of its `--api-auth` pairs"
            )
        return Failure(f"HTTP {code}", message, code, code in RETRYABLE_STATUS)


def not_running(shown_url: str) -> str:
    return f"no AUTOMATIC1111/Forge web UI answers at {shown_url}: {START_HINT}"


def no_api(shown_url: str, path: str) -> str:
    return (
        f"the server at {shown_url} has no web UI API (HTTP 404 on {path}): it was started "
        f"without `--api`; {START_HINT}"
    )


def shown(url: str) -> str:
    """`url` without any user:password part, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
