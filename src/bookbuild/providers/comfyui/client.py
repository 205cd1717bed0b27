"""HTTP to one ComfyUI server (the routes of its `server.py`): `/object_info`, `/upload/image`,
`/upload/mask`, `/prompt`, `/history/{prompt_id}`, `/queue`, `/view`.

ComfyUI has no authentication and answers errors its own ways: `/prompt` refuses a graph with
400 `{error: {type, message, details}, node_errors: {id: {class_type, errors: [...]}}}` (or
`error: "no prompt"`); a node that fails while running shows in the history as `status_str:
error` with an `execution_error` message. Both are reported by node id and class.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from bookbuild.errors import ProviderError
from bookbuild.providers.failure import Failure
from bookbuild.providers.http import DEFAULT_TIMEOUT, HttpClient, RetryPolicy
from bookbuild.providers.reach import listening

MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
T = TypeVar("T")
START_HINT = "start it with `python main.py --listen` in the ComfyUI folder"


class ComfyUIClient:
    """The routes of one server over the shared HTTP client (retries of dropped connections,
    timeouts and 5xx; the server's own messages). A server that refuses connections is not
    running: that is said at once, naming the URL and how to start it. A job is queued once
    (POST /prompt is never re-sent: the server may have taken it)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None = None,
        sleep: Callable[[float], None],
        notify: Callable[[str, int, float], None],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = HttpClient(
            self.base_url,
            "comfyui",
            policy=RetryPolicy(sleep=sleep),
            timeout=timeout or DEFAULT_TIMEOUT,
            notify=notify,
            max_download=MAX_DOWNLOAD_BYTES,
        )

    def __repr__(self) -> str:
        return f"ComfyUIClient({self.base_url!r})"

    def close(self) -> None:
        self.http.close()

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

    def submit(self, graph: Mapping[str, Any], client_id: str, output: str | None = None) -> str:
        """Queue the graph, once; its prompt_id. A refused graph raises with every node
        error, and so does one the server queued without `output` (a 200 whose `node_errors`
        name it among their `dependent_outputs`: the server runs only the valid outputs)."""
        import requests

        body = {"prompt": graph, "client_id": client_id}
        http = self.http
        try:
            response = http.session.post(
                http.url("/prompt"), json=body, timeout=http.timeout, allow_redirects=False
            )
        except requests.RequestException:
            response = None
        if response is None:
            if not listening(self.base_url):
                raise self.not_running()
            raise self._error(
                "the connection broke while queuing the job; it may have been queued all the "
                "same: look at ComfyUI's queue before building again",
                transient=True,
            )
        with response:
            if response.status_code == 400:
                raise ProviderError(refusal_message(_decoded(response)), provider="comfyui")
            data = http.read_json(response)
        if isinstance(data, Failure):
            raise data.error("comfyui", 1)
        if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), str):
            raise self._error("/prompt did not answer a prompt_id")
        if touches_output(data.get("node_errors"), output):
            body = {"error": "the workflow's output node failed validation", **data}
            raise ProviderError(
                f"ComfyUI dropped the output node {output or '(any)'}: {refusal_message(body)}",
                provider="comfyui",
            )
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
        """The bytes of an output picture the history lists."""
        query = {
            "filename": str(image.get("filename", "")),
            "subfolder": str(image.get("subfolder", "")),
            "type": str(image.get("type", "output")),
        }
        url = self.http.url("/view") + "?" + urlencode(query)

        def attempt() -> bytes | Failure:
            outcome = self._unless_down(self.http.get_once(url))
            if isinstance(outcome, Failure) and outcome.status == 404:
                message = f"ComfyUI has no output file {query['filename']!r} (deleted?)"
                return Failure("HTTP 404", message, 404)
            return outcome

        return self.http.retrying(attempt, "GET /view")

    # -- the wire --------------------------------------------------------------------------

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        url = self.http.url(path)
        return self.http.retrying(
            lambda: self._unless_down(self.http.json_once(method, url, **kw)), f"{method} {path}"
        )

    def _unless_down(self, outcome: T) -> T:
        """The outcome, unless it is a failed connection to a server that is not running."""
        if isinstance(outcome, Failure) and outcome.status is None and not listening(self.base_url):
            raise self.not_running()
        return outcome

    def not_running(self) -> ProviderError:
        return ProviderError(
            f"no ComfyUI server is running at {self.base_url}: {START_HINT}, or point "
            "COMFYUI_BASE_URL (or the preset's `base_url`) at the server",
            provider="comfyui",
        )

    def _error(self, message: str, transient: bool = False) -> ProviderError:
        return ProviderError(
            f"{message} (ComfyUI at {self.base_url})", provider="comfyui", transient=transient
        )


def _decoded(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def touches_output(node_errors: Any, output: str | None) -> bool:
    """Whether a 200's `node_errors` took down `output` (any output when it is not known)."""
    if not isinstance(node_errors, dict) or not node_errors:
        return False
    if output is None:
        return True
    for node_id, info in node_errors.items():
        dependents = info.get("dependent_outputs") if isinstance(info, dict) else None
        if node_id == output or output in (dependents or []):
            return True
    return False


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
        if not (isinstance(message, list) and len(message) == 2):
            continue
        info = message[1] if isinstance(message[1], dict) else {}
        where = f"node {info.get('node_id', '?')} ({info.get('node_type', '?')})"
        if message[0] == "execution_error":
            return f"{where}: {str(info.get('exception_message', '')).strip()}"
        if message[0] == "execution_interrupted":  # /interrupt, or Cancel in the UI
            return (
                f"the job was interrupted on the server at {where} (execution_interrupted: "
                "someone pressed Cancel or called /interrupt); run make again to queue it anew"
            )
    return "the workflow failed (no execution_error message in the history)"
