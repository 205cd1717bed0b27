"""HTTP to one ComfyUI server (the routes of its `server.py`): `/object_info`, `/upload/image`,
`/upload/mask`, `/prompt`, `/history/{prompt_id}`, `/queue`, `/view`.

ComfyUI has no authentication and answers errors its own ways: `/prompt` refuses a graph with
400 `{error: {type, message, details}, node_errors: {id: {class_type, errors: [...]}}}` (or
`error: "no prompt"`); a node that fails while running shows in the history as `status_str:
error` with an `execution_error` message. Both are reported by node id and class.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests

from bookbuild.errors import ProviderError

log = logging.getLogger("bookbuild.providers.comfyui")

MAX_ATTEMPTS = 4
MAX_WAIT = 30.0
DEFAULT_TIMEOUT = 60.0
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
START_HINT = "start it with `python main.py --listen` in the ComfyUI folder"


class ComfyUIClient:
    """One `requests.Session` to one server. Transient failures (connection dropped mid-way,
    5xx) are retried; a server that refuses the connection is not running: that is reported
    at once, naming the URL and how to start it."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None = None,
        sleep: Callable[[float], None],
        notify: Callable[[str, int, float], None],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._sleep = sleep
        self._notify = notify
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "bookbuild"

    def __repr__(self) -> str:
        return f"ComfyUIClient({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # -- routes ----------------------------------------------------------------------------

    def object_info(self) -> dict[str, Any]:
        data = self._json("GET", "/object_info")
        if not isinstance(data, dict):
            raise self._error("/object_info did not answer a JSON object")
        return data

    def upload(self, name: str, png: bytes, *, mask_of: str | None = None) -> str:
        """Upload a PNG to the input folder under `name` (overwriting: names are made from
        the content); with `mask_of`, through /upload/mask, which copies the PNG's alpha into
        that already uploaded picture. The name LoadImage is to be given."""
        fields = {"type": "input", "overwrite": "true"}
        route = "/upload/image"
        if mask_of is not None:
            route = "/upload/mask"
            fields["original_ref"] = json.dumps({"filename": mask_of, "type": "input"})
        files = {"image": (name, png, "image/png")}
        data = self._json("POST", route, data=fields, files=files)
        if not isinstance(data, dict) or not data.get("name"):
            raise self._error(f"{route} did not answer the uploaded file's name")
        sub = str(data.get("subfolder") or "")
        return f"{sub}/{data['name']}" if sub else str(data["name"])

    def submit(self, graph: Mapping[str, Any], client_id: str) -> str:
        """Queue the graph; its prompt_id. A refused graph raises with every node error."""
        data = self._json("POST", "/prompt", json={"prompt": graph, "client_id": client_id})
        if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), str):
            raise self._error("/prompt did not answer a prompt_id")
        return str(data["prompt_id"])

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        """The job's history entry, or None while it is queued or running."""
        data = self._json("GET", f"/history/{prompt_id}")
        entry = data.get(prompt_id) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else None

    def queued(self, prompt_id: str) -> bool:
        """True when the job is running or waiting in the server's queue."""
        data = self._json("GET", "/queue")
        if not isinstance(data, dict):
            return False
        items = [*data.get("queue_running", []), *data.get("queue_pending", [])]
        return any(isinstance(i, list) and len(i) > 1 and i[1] == prompt_id for i in items)

    def view(self, image: Mapping[str, Any]) -> bytes:
        params = {
            "filename": str(image.get("filename", "")),
            "subfolder": str(image.get("subfolder", "")),
            "type": str(image.get("type", "output")),
        }
        return self._call("GET", "/view", params=params, raw=True)  # type: ignore[no-any-return]

    # -- the wire --------------------------------------------------------------------------

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, path, **kw)

    def _call(self, method: str, path: str, *, raw: bool = False, **kw: Any) -> Any:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcome = self._once(method, path, raw, kw)
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt == MAX_ATTEMPTS:
                raise self._error(f"{outcome.reason} (gave up after {attempt} attempts)", True)
            wait = min(2.0**attempt, MAX_WAIT)
            self._notify(f"{path}: {outcome.reason}", attempt, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, raw: bool, kw: dict[str, Any]) -> Any:
        url = self.base_url + path
        try:
            response = self.session.request(
                method, url, timeout=self._timeout, allow_redirects=False, **kw
            )
        except requests.exceptions.ConnectionError as exc:
            if _refused(exc):
                refused = True
            else:
                return _Retry("the connection was dropped")
        except requests.Timeout:
            return _Retry(f"no answer within {self._timeout:g} s")
        except requests.RequestException as exc:
            raise self._error(f"cannot call {path} ({type(exc).__name__})") from None
        else:
            refused = False
        if refused:
            raise self.not_running()
        with response:
            log.debug("%s %s -> HTTP %d", method, path, response.status_code)
            return self._read(path, response, raw)

    def _read(self, path: str, response: requests.Response, raw: bool) -> Any:
        code = response.status_code
        if code >= 500:
            return _Retry(f"{path} answered HTTP {code}")
        if code == 400 and path == "/prompt":
            raise self._error(refusal_message(_decoded(response)), status=400)
        if code >= 300:
            raise self._error(f"{path} answered HTTP {code}{_text_of(response)}", status=code)
        if raw:
            return _capped(response)
        body = _decoded(response)
        if body is None:
            raise self._error(f"{path} did not answer JSON")
        return body

    def not_running(self) -> ProviderError:
        return ProviderError(
            f"no ComfyUI server is running at {self.base_url}: {START_HINT}, or point "
            "COMFYUI_BASE_URL (or the preset's `base_url`) at the server",
            provider="comfyui",
        )

    def _error(
        self, message: str, transient: bool = False, status: int | None = None
    ) -> ProviderError:
        if status != 400:
            message += f" (ComfyUI at {self.base_url})"
        return ProviderError(
            message,
            provider="comfyui",
            transient=transient,
            status=status,
        )


class _Retry:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _refused(exc: requests.exceptions.ConnectionError) -> bool:
    """The server refused the connection (nothing listens): it certainly took nothing."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else seen.__context__
    return "Connection refused" in str(exc)


def _decoded(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _text_of(response: requests.Response) -> str:
    text = response.text.strip()[:300]
    return f": {text}" if text else ""


def _capped(response: requests.Response) -> bytes:
    data = response.content
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise ProviderError("the picture is too large", provider="comfyui")
    return data


def refusal_message(body: Any) -> str:
    """ComfyUI's 400 answer to /prompt as one message: the error, then each node's errors
    as `node <id> (<class_type>): <message>: <details>`."""
    if not isinstance(body, dict):
        return "the server refused the workflow (HTTP 400)"
    error = body.get("error")
    if isinstance(error, dict):
        head = str(error.get("message") or error.get("type") or "the workflow was refused")
        details = str(error.get("details") or "")
        if details and not body.get("node_errors"):
            head += f" ({details})"
    else:
        head = str(error or "the workflow was refused")
    lines = [head]
    node_errors = body.get("node_errors")
    if isinstance(node_errors, dict):
        for node_id, info in sorted(node_errors.items()):
            if not isinstance(info, dict):
                continue
            for problem in info.get("errors") or []:
                if isinstance(problem, dict):
                    text = str(problem.get("message", ""))
                    if problem.get("details"):
                        text += f": {problem['details']}"
                    lines.append(f"node {node_id} ({info.get('class_type', '?')}): {text}")
    return "; ".join(lines)


def execution_error(entry: Mapping[str, Any]) -> str | None:
    """The history's failure, as `node <id> (<class>): <exception message>`; None if it
    succeeded."""
    status = entry.get("status")
    if not isinstance(status, dict) or status.get("status_str") != "error":
        return None
    for message in status.get("messages") or []:
        if isinstance(message, list) and len(message) == 2 and message[0] == "execution_error":
            info = message[1] if isinstance(message[1], dict) else {}
            where = f"node {info.get('node_id', '?')} ({info.get('node_type', '?')})"
            return f"{where}: {str(info.get('exception_message', '')).strip()}"
    return "the workflow failed (no execution_error message in the history)"
