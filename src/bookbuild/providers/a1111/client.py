"""HTTP to one AUTOMATIC1111 / Forge web UI: JSON in and out over one `requests.Session`, with
HTTP Basic auth when the server runs with `--api-auth`, and every failure turned into one clear
ProviderError: the server not running (naming the URL and how to start it), started without
`--api`, refusing the credentials, or refusing the request (in its own words, a 422 field by
field). The credentials are in the session only; no message is built from a request.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.answers import server_message

log = logging.getLogger("bookbuild.providers.a1111")

NAME = "a1111"
BASE_URL_ENV = "A1111_BASE_URL"
AUTH_ENV = "A1111_AUTH"
DEFAULT_BASE_URL = "http://127.0.0.1:7860"
DEFAULT_TIMEOUT = 600.0
"""Seconds for one generation: the web UI answers only when the picture is done, and it makes
one picture at a time for every client."""
PROBE_TIMEOUT = 30.0
START_HINT = (
    "start the web UI with its API on (`./webui.sh --api`, or `webui-user.bat` with "
    "`set COMMANDLINE_ARGS=--api`; Forge and reForge take the same flag), or point "
    f"{BASE_URL_ENV} or the preset's `base_url` at it"
)
TRANSIENT_STATUS = frozenset({408, 429, 502, 503, 504})

_TURNS: dict[str, threading.Lock] = {}
_TURNS_GUARD = threading.Lock()


def _turn(base_url: str) -> threading.Lock:
    """One lock per web UI: it draws one picture at a time for every client, so this process
    sends one generation at a time and each waits only for its own picture (its timeout)."""
    with _TURNS_GUARD:
        return _TURNS.setdefault(base_url, threading.Lock())


class A1111Client:
    def __init__(self, base_url: str, auth: tuple[str, str] | None, timeout: float | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.shown_url = shown(self.base_url)
        self._timeout = timeout or DEFAULT_TIMEOUT
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "bookbuild"
        if auth is not None:
            self.session.auth = auth

    def __repr__(self) -> str:
        return f"A1111Client({self.shown_url!r})"

    def close(self) -> None:
        self.session.close()

    def get(self, path: str) -> Any:
        return self._send("GET", path, None, PROBE_TIMEOUT)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        with _turn(self.base_url):
            return self._send("POST", path, body, self._timeout)

    def _send(self, method: str, path: str, body: Any, timeout: float) -> Any:
        failure: ProviderError | None = None
        response: requests.Response | None = None
        try:
            response = self.session.request(
                method, self.base_url + path, json=body, timeout=(10.0, timeout)
            )
        except requests.ConnectionError as exc:
            failure = self._unreachable(exc)
        except requests.Timeout:
            failure = ProviderError(
                f"no answer from {self.shown_url}{path} within {timeout:g} s; the web UI may "
                "still be busy: raise the preset's `timeout` for large pictures",
                provider=NAME,
                transient=True,
            )
        if failure is not None:  # raised outside `except`: no chain reaches a request
            raise failure
        assert response is not None
        return self._read(response, path)

    def _unreachable(self, exc: requests.ConnectionError) -> ProviderError:
        if _refused(exc):
            return ProviderError(not_running(self.shown_url), provider=NAME)
        return ProviderError(
            f"the web UI at {self.shown_url} closed the connection before answering",
            provider=NAME,
            transient=True,
        )

    def _read(self, response: requests.Response, path: str) -> Any:
        try:
            payload: Any = response.json()
        except ValueError:
            payload = response.text[:300]
        status = response.status_code
        if status < 400:
            return payload
        log.debug("%s answered HTTP %d", path, status)
        raise self._refusal(status, payload, path)

    def _refusal(self, status: int, payload: Any, path: str) -> ProviderError:
        if status == 404 and path.startswith("/sdapi/") and _not_found(payload):
            message = (
                f"the server at {self.shown_url} has no web UI API (HTTP 404 on {path}): "
                f"it was started without `--api`; {START_HINT}"
            )
        elif status == 401:
            message = (
                f"the web UI at {self.shown_url} refused the credentials "
                f"({server_message(status, payload)}): set {AUTH_ENV}=user:password to one of "
                "its `--api-auth` pairs"
            )
        else:
            message = server_message(status, payload)
        return ProviderError(
            message, provider=NAME, status=status, transient=status in TRANSIENT_STATUS
        )


def reachable(base_url: str, seconds: float = 3.0) -> bool:
    """Whether something accepts a TCP connection at the web UI's address (no HTTP is sent)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=seconds):
            return True
    except OSError:
        return False


def not_running(shown_url: str) -> str:
    return f"no AUTOMATIC1111/Forge web UI answers at {shown_url}: {START_HINT}"


def _refused(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never made (so nothing was sent)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = f"{type(reason).__name__} {reason}" if reason is not None else str(exc)
    return any(
        word in text for word in ("NewConnectionError", "refused", "Name or service not known")
    )


def _not_found(payload: Any) -> bool:
    """FastAPI's answer for a route that does not exist (not a "not found" of the web UI)."""
    return isinstance(payload, dict) and payload.get("detail") == "Not Found"


def shown(url: str) -> str:
    """`url` without any user:password part, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
