"""A fake ComfyUI server: a real HTTP server on 127.0.0.1 speaking ComfyUI's own API (the UI
backend's `server.py` routes) for the real client to talk to.

    with FakeComfyUI() as fake:                      # or the `fake_comfyui` fixture
        env = {"COMFYUI_BASE_URL": fake.base_url}
        ...
        assert fake.count("prompt") == 1

Routes: `POST /prompt` (the graph is validated like ComfyUI's `validate_prompt`: 400 with
`error` and `node_errors`; else `{prompt_id, number, node_errors}` and the job is queued),
`GET /history/{prompt_id}` (`{}` while queued; the job runs when polled `polls` times, then the
entry with `outputs` and `status`), `GET /view?filename&subfolder&type`, `POST /upload/image`
and `POST /upload/mask` (multipart; a name already taken by other bytes becomes `x (1).png`;
the mask's alpha is copied into the `original_ref` picture), `GET /object_info[/{class}]`,
`GET /system_stats`, `GET /queue`. Every `/x` route also answers as `/api/x`.

The graph really runs (`comfyui_nodes`): a KSampler draws from the model, prompt and seed at
the latent's size and keeps pixels outside the noise mask, so tests can check pixels.
Scenarios: `fail_node(class_type, message)` makes that node raise while running (the history
then says `status_str: error` with an `execution_error` message); `hold()` keeps jobs queued
until `release()`; `controlnet=False` serves no ControlNet nodes.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from .comfyui_catalogue import NodeClass, catalogue
from .comfyui_graph import Invalid, NodeFailed, execute, validate
from .comfyui_nodes import load_image, load_mask
from .loopback import QuietHandler, ServedFake

MODELS: dict[str, list[str]] = {
    "checkpoints": ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"],
    "loras": ["watercolor.safetensors"],
    "upscale_models": ["4x-UltraSharp.pth", "RealESRGAN_x2plus.pth"],
    "controlnet": ["control_v11p_sd15_canny.pth"],
    "ipadapter": ["ip-adapter-plus_sd15.safetensors"],
    "clip_vision": ["CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors"],
}


@dataclass
class Job:
    prompt_id: str
    number: int
    graph: dict[str, Any]
    outputs: list[str]
    extra_data: dict[str, Any]
    polls_left: int


@dataclass
class Recorded:
    method: str
    path: str
    body: Any = None


@dataclass
class FakeState:
    """What the server holds: files by (type, "subfolder/name"), jobs, history."""

    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: int = 0
    number: int = 0


class FakeComfyUI(ServedFake):
    def __init__(self, *, polls: int = 2, controlnet: bool = True, ipadapter: bool = True) -> None:
        self.handler = Handler
        self.polls = polls
        self.controlnet = controlnet
        self.ipadapter = ipadapter  # the ComfyUI_IPAdapter_plus custom nodes are installed
        self.models = {kind: list(names) for kind, names in MODELS.items()}
        self.state = FakeState()
        self.requests: list[Recorded] = []
        self.failures: dict[str, str] = {}
        self.held = False
        self.lock = threading.RLock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scenarios and inspection --------------------------------------------------------

    def fail_node(self, class_type: str, message: str) -> None:
        self.failures[class_type] = message

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False

    def count(self, route: str) -> int:
        """Requests whose path's first segment (after any /api) is `route`: "prompt",
        "history", "view", "upload", "object_info"."""
        return sum(1 for r in self.requests if _route(r.path) == route)

    def prompts(self) -> list[dict[str, Any]]:
        """The bodies of every POST /prompt."""
        return [r.body for r in self.requests if r.method == "POST" and _route(r.path) == "prompt"]

    def input_file(self, name: str) -> Image.Image:
        return Image.open(BytesIO(self.state.files[("input", name)]))

    # -- the server's work ---------------------------------------------------------------

    def classes(self) -> dict[str, NodeClass]:
        inputs = [name for kind, name in self.state.files if kind == "input"]
        return catalogue(
            self.models,
            inputs,
            self._save,
            self._load,
            self._load_mask,
            controlnet=self.controlnet,
            ipadapter=self.ipadapter,
        )

    def _save(self, images: Image.Image, filename_prefix: str) -> tuple[Any, ...]:
        with self.lock:
            self.state.counter += 1
            counter = self.state.counter
        subfolder, _, prefix = filename_prefix.rpartition("/")
        name = f"{prefix}_{counter:05}_.png"
        buffer = BytesIO()
        images.save(buffer, format="PNG")
        self.state.files[("output", f"{subfolder}/{name}" if subfolder else name)] = (
            buffer.getvalue()
        )
        entry = {"filename": name, "subfolder": subfolder, "type": "output"}
        return ({"ui": {"images": [entry]}},)

    def _load(self, image: str) -> tuple[Any, ...]:
        return load_image(Image.open(BytesIO(self.state.files[("input", image)])))

    def _load_mask(self, image: str, channel: str) -> tuple[Any, ...]:
        return (load_mask(Image.open(BytesIO(self.state.files[("input", image)])), channel),)

    def submit(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or "prompt" not in body:
            return 400, {"error": "no prompt", "node_errors": []}
        graph = body["prompt"]
        try:
            outputs = validate(graph, self.classes())
        except Invalid as refused:
            return 400, {"error": refused.error, "node_errors": refused.node_errors}
        extra = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra["client_id"] = body["client_id"]
        with self.lock:
            number = self.state.number
            self.state.number += 1
            job = Job(str(uuid.uuid4()), number, graph, outputs, extra, self.polls)
            self.state.jobs[job.prompt_id] = job
        return 200, {"prompt_id": job.prompt_id, "number": number, "node_errors": {}}

    def history(self, prompt_id: str) -> dict[str, Any]:
        with self.lock:
            job = self.state.jobs.get(prompt_id)
            if job is not None and not self.held:
                job.polls_left -= 1
                if job.polls_left <= 0:
                    del self.state.jobs[prompt_id]
                    self.state.history[prompt_id] = self._run(job)
            entry = self.state.history.get(prompt_id)
        return {prompt_id: entry} if entry is not None else {}

    def _run(self, job: Job) -> dict[str, Any]:
        started = ["execution_start", {"prompt_id": job.prompt_id, "timestamp": _now()}]
        record = [job.number, job.prompt_id, job.graph, job.extra_data, job.outputs]
        classes = self.classes()
        for class_type, message in self.failures.items():
            if class_type in classes:
                classes[class_type] = _failing(classes[class_type], message)
        try:
            outputs = execute(job.graph, classes, job.outputs)
        except NodeFailed as failed:
            error = {
                "prompt_id": job.prompt_id,
                "node_id": failed.node_id,
                "node_type": failed.class_type,
                "executed": [],
                "exception_message": str(failed),
                "exception_type": "RuntimeError",
                "traceback": [],
                "current_inputs": {},
                "current_outputs": {},
            }
            status = {
                "status_str": "error",
                "completed": False,
                "messages": [started, ["execution_error", error]],
            }
            return {"prompt": record, "outputs": {}, "status": status, "meta": {}}
        done = ["execution_success", {"prompt_id": job.prompt_id, "timestamp": _now()}]
        status = {"status_str": "success", "completed": True, "messages": [started, done]}
        meta = {node: {"node_id": node, "display_node": node} for node in outputs}
        return {"prompt": record, "outputs": outputs, "status": status, "meta": meta}

    def upload(self, fields: dict[str, Any], mask: bool) -> tuple[int, dict[str, Any]]:
        image = fields.get("image")
        if not isinstance(image, tuple) or not image[0]:
            return 400, {}
        filename, data = image
        kind = str(fields.get("type") or "input")
        subfolder = str(fields.get("subfolder") or "")
        if kind not in ("input", "temp", "output") or ".." in subfolder or ".." in filename:
            return 400, {}
        if mask:
            data = self._with_alpha_of(data, json.loads(str(fields.get("original_ref") or "{}")))
            if data is None:
                return 200, {"name": filename, "subfolder": subfolder, "type": kind}
        overwrite = str(fields.get("overwrite") or "") in ("true", "1")
        name = self._free_name(kind, subfolder, filename, data, overwrite)
        self.state.files[(kind, f"{subfolder}/{name}" if subfolder else name)] = data
        return 200, {"name": name, "subfolder": subfolder, "type": kind}

    def _with_alpha_of(self, mask: bytes, original_ref: dict[str, Any]) -> bytes | None:
        """/upload/mask: the referenced picture with the uploaded mask's alpha (None when the
        original is missing: ComfyUI then saves nothing but still answers)."""
        kind = original_ref.get("type", "output")
        sub = original_ref.get("subfolder", "")
        name = original_ref.get("filename", "")
        original = self.state.files.get((kind, f"{sub}/{name}" if sub else name))
        if original is None:
            return None
        picture = Image.open(BytesIO(original)).convert("RGBA")
        picture.putalpha(Image.open(BytesIO(mask)).convert("RGBA").getchannel("A"))
        buffer = BytesIO()
        picture.save(buffer, format="PNG")
        return buffer.getvalue()

    def _free_name(
        self, kind: str, subfolder: str, filename: str, data: bytes, overwrite: bool
    ) -> str:
        stem, dot, ext = filename.rpartition(".")
        name, i = filename, 1
        while not overwrite:
            taken = self.state.files.get((kind, f"{subfolder}/{name}" if subfolder else name))
            if taken is None or taken == data:
                break
            name = f"{stem} ({i}){dot}{ext}"
            i += 1
        return name

    def view(self, query: dict[str, str]) -> tuple[int, bytes]:
        filename = query.get("filename", "")
        if not filename or filename.startswith("/") or ".." in filename:
            return 400, b""
        sub = query.get("subfolder", "")
        if ".." in sub:
            return 403, b""
        found = self.state.files.get(
            (query.get("type", "output"), f"{sub}/{filename}" if sub else filename)
        )
        return (200, found) if found is not None else (404, b"")


def _failing(node: NodeClass, message: str) -> NodeClass:
    def run(**_: Any) -> tuple[Any, ...]:
        raise RuntimeError(message)

    return NodeClass(node.name, node.required, node.returns, run, node.optional, node.output_node)


def _now() -> int:
    return int(time.time() * 1000)


def _route(path: str) -> str:
    parts = [p for p in path.split("?")[0].split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    return parts[0] if parts else ""


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields: text as str, files as (filename, bytes)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[str(name)] = (filename, payload) if filename is not None else payload.decode()
    return fields


class Handler(QuietHandler):
    server: Any

    def serve(self) -> None:
        fake: FakeComfyUI = self.server.fake
        split = urlsplit(self.path)
        path = split.path.removeprefix("/api") if split.path.startswith("/api/") else split.path
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("content-type") or ""
        body: Any = None
        if "json" in ctype and raw:
            body = json.loads(raw)
        fake.requests.append(Recorded(self.command, self.path, body))
        self.route(fake, path, query, raw, ctype, body)

    def route(
        self, fake: FakeComfyUI, path: str, query: dict[str, str], raw: bytes, ctype: str, body: Any
    ) -> None:
        if self.command == "POST" and path == "/prompt":
            if body is None and raw:
                body = json.loads(raw)
                fake.requests[-1].body = body
            self.json(*fake.submit(body))
        elif self.command == "GET" and path.startswith("/history/"):
            self.json(200, fake.history(path.removeprefix("/history/")))
        elif self.command == "GET" and path == "/view":
            status, data = fake.view(query)
            self.reply(status, data, "image/png" if status == 200 else "text/plain", {})
        elif self.command == "POST" and path in ("/upload/image", "/upload/mask"):
            self.json(*fake.upload(parse_multipart(ctype, raw), mask=path.endswith("mask")))
        elif self.command == "GET" and path.startswith("/object_info"):
            wanted = path.removeprefix("/object_info").strip("/")
            classes = fake.classes()
            names = [wanted] if wanted else list(classes)
            self.json(200, {n: classes[n].info() for n in names if n in classes})
        elif self.command == "GET" and path == "/system_stats":
            self.json(
                200, {"system": {"os": "posix", "comfyui_version": "0.3.fake"}, "devices": []}
            )
        elif self.command == "GET" and path == "/queue":
            pending = [
                [j.number, j.prompt_id, j.graph, j.extra_data, j.outputs]
                for j in fake.state.jobs.values()
            ]
            self.json(200, {"queue_running": [], "queue_pending": pending})
        else:
            self.reply(404, b"404: Not Found", "text/plain", {})

    def json(self, status: int, data: Any) -> None:
        if status == 400 and not data:
            self.reply(400, b"", "text/plain", {})
            return
        self.reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", {})


@pytest.fixture
def fake_comfyui() -> Iterator[FakeComfyUI]:
    """A running FakeComfyUI for one test."""
    with FakeComfyUI() as fake:
        yield fake
