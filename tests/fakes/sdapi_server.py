"""A fake Stable Diffusion API (ModelsLab): a real HTTP server on 127.0.0.1 speaking the legacy
(v3/v4/v5) and current (v6) paths in the documented formats, for the real `requests` to talk to.

    with FakeSDAPI() as fake:                          # or the `fake_sdapi` fixture
        env = {"SDAPI_KEY": fake.key, "SDAPI_BASE_URL": fake.base_url}
        fake.script("txt2img", processing(fetches=2), rate_limited(retry_after=1))
        ...                       # first txt2img is queued (done on the 2nd fetch), second a 429
        assert fake.count("submit") == 1 and fake.count("fetch") == 2

What it does, per the reference's checklist: the key is read from the JSON body (401 when
missing or wrong); input images must be URLs the fake itself served (upload them first through
`/api/v6/image_editing/base64_to_url` or `/api/v3/base64_crop`), else 400 "Unable to fetch
image from provided URL"; "512" and "yes"/"no" are coerced; `meta` echoes the resolved values
(a random seed when `seed` is null, an "enhanced" prompt when enhance_prompt is yes, steps
capped at `max_steps`). It draws real pictures (`sdapi_drawing`): a solid colour from the
prompt, inpainting that repaints only where the mask is white, and so on.

Realtime submits with `instant_response: true` are answered `processing` at once (an id to
poll), as documented. Scenarios are queued per route with `script(route, ...)`: a route is an
exact path, an op name (txt2img, img2img, inpaint, controlnet, outpaint, upscale,
remove_background), "fetch",
"upload", "file" (GETs of output files) or "submit" (any op). Unscripted requests succeed.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pytest
from PIL import Image

from bookbuild.providers.registry import make_preset
from bookbuild.spec.presets import Preset

from .flaky import ContentIds, Dice
from .loopback import ServedFake
from .sdapi_drawing import draw, encode
from .sdapi_handler import OPS, Handler, Recorded
from .sdapi_routes import (
    ROUTES,
    as_int,
    fetch_path_for,
    fetch_route,
    takes_ip_adapter,
    validate,
    yes,
)
from .sdapi_scenarios import (
    DictJournal,
    FakeClock,
    Scenario,
    dropped,
    error,
    error_200,
    failure_answer,
    processing,
    rate_limited,
    redirected,
    server_error,
    stalled,
    success,
    success_answer,
    trickled,
)

__all__ = [
    "KEY",
    "DictJournal",
    "FakeClock",
    "FakeSDAPI",
    "Recorded",
    "Scenario",
    "dropped",
    "error",
    "error_200",
    "fake_sdapi",
    "processing",
    "rate_limited",
    "redirected",
    "server_error",
    "stalled",
    "success",
    "trickled",
]

KEY = "sdapi-test-key-0123456789"
FLAKY_RATES = {
    "rate_limited": 0.15,
    "server_error": 0.10,
    "error_200": 0.05,
    "dropped": 0.05,
    "queued": 0.3,  # of the submits that go through: answered `processing`, then fetched
}
ENHANCE_SUFFIX = ", DSLR photography, sharp focus, Unreal Engine 5"


@dataclass
class _File:
    data: bytes
    content_type: str
    ready: bool = True
    expire: bool = False
    gets: int = 0


@dataclass
class _Job:
    id: str
    scenario: Scenario
    answer: dict[str, Any]
    urls: list[str]
    fetches: int = 0
    finished: bool = False  # set by `finish_jobs`


@dataclass
class _State:
    requests: list[Recorded] = field(default_factory=list)
    files: dict[str, _File] = field(default_factory=dict)
    jobs: dict[str, _Job] = field(default_factory=dict)
    queues: dict[str, deque[Scenario]] = field(default_factory=dict)
    paid: list[Recorded] = field(default_factory=list)  # submits that created a job


class FakeSDAPI(ServedFake):
    """The server. `base_url` is the host root (paths start with /api/...)."""

    def __init__(self, key: str = KEY, *, max_steps: int | None = None) -> None:
        self.key = key
        self.max_steps = max_steps
        self._state = _State()
        self._ids = ContentIds()
        self._lock = threading.Lock()
        self._after_reply: Callable[[Recorded, int], None] | None = None
        self._dice: Dice | None = None
        self._rates: dict[str, float] = {}
        self._timing: tuple[float, float] | None = None
        self._ready: dict[str, float] = {}  # timed jobs: id -> when they are done

    # -- life cycle ------------------------------------------------------------------------

    handler = Handler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- for tests ---------------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """An environment for the `sdapi` provider pointing at this fake."""
        return {"SDAPI_KEY": self.key, "SDAPI_BASE_URL": self.base_url}

    def preset(self, **fields: Any) -> Preset:
        """An `sdapi` preset on this fake (base_url set); `fields` as in book.yaml."""
        return make_preset(provider="sdapi", base_url=self.base_url, **fields)

    def after_reply(self, callback: Callable[[Recorded, int], None] | None) -> None:
        """Call `callback(request, status)` once each answer has been written (e.g. to kill
        the client the moment a result file has been sent)."""
        self._after_reply = callback

    def replied(self, request: Recorded, status: int) -> None:
        if self._after_reply is not None:
            self._after_reply(request, status)

    def script(self, route: str, *scenarios: Scenario) -> None:
        """Queue answers for the next requests of `route`, in order; then success again."""
        with self._lock:
            self._state.queues.setdefault(route, deque()).extend(scenarios)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._state.requests)

    def count(self, route: str) -> int:
        """Requests of a route: a path, an op, "fetch", "upload", "file" or "submit"."""
        return len(self.of(route))

    def of(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if _matches(r, route)]

    def timed(self, latency: float, service_time: float) -> None:
        """Behave like a real queue in time: every answer takes `latency` seconds, and every
        submit is a job that is ready `service_time` seconds after it arrived (answered
        `processing` with that `eta`; a fetch before then says `processing` with the `eta`
        left)."""
        self._timing = (latency, service_time)

    def finish_jobs(self) -> None:
        """Every queued job is done at its next fetch."""
        with self._lock:
            for job in self._state.jobs.values():
                job.finished = True

    @property
    def paid(self) -> list[Recorded]:
        """The submits the service took: each one is a job it charges for."""
        with self._lock:
            return list(self._state.paid)

    @property
    def submits(self) -> list[Recorded]:
        return self.of("submit")

    def gets_of(self, url: str) -> int:
        """How many times an output/upload file was downloaded."""
        with self._lock:
            entry = self._state.files.get(_file_name(url))
            return entry.gets if entry else 0

    def file_bytes(self, url: str) -> bytes:
        """The stored bytes behind a file URL of this fake (upload or output)."""
        with self._lock:
            return self._state.files[_file_name(url)].data

    def uploaded_images(self) -> list[Image.Image]:
        with self._lock:
            names = [n for n in self._state.files if n.startswith("upload-")]
            return [Image.open(BytesIO(self._state.files[n].data)) for n in names]

    # -- serving -------------------------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        """(HTTP status, JSON payload or bytes, headers); payload None = drop the connection."""
        with self._lock:
            self._state.requests.append(request)
        if self._timing is not None:
            return self._handle_timed(request, *self._timing)
        return self._handle(request)

    def _handle_timed(
        self, request: Recorded, latency: float, service_time: float
    ) -> tuple[int, Any, dict[str, str]]:
        arrived = time.monotonic()
        if request.is_submit:
            self.script(request.path, processing(fetches=10**9, eta=service_time))
        answer = self._handle(request)
        job_id = str(answer[1].get("id", "")) if isinstance(answer[1], dict) else ""
        if request.is_submit and job_id:
            with self._lock:
                self._ready[job_id] = arrived + service_time
        time.sleep(max(0.0, arrived + latency - time.monotonic()))
        if request.route == "fetch":
            return self._timed_fetch(request, answer)
        return answer

    def _timed_fetch(
        self, request: Recorded, answer: tuple[int, Any, dict[str, str]]
    ) -> tuple[int, Any, dict[str, str]]:
        """A fetch, answered as of now (the end of its latency)."""
        body = request.body if isinstance(request.body, dict) else {}
        job_id = fetch_route(request.path) or str(body.get("request_id") or "")
        with self._lock:
            ready, job = self._ready.get(job_id), self._state.jobs.get(job_id)
        if ready is None or job is None:
            return answer
        left = ready - time.monotonic()
        if left > 0:
            pending = {"status": "processing", "eta": round(left, 3), "id": job_id, "output": ""}
            return 200, pending, {}
        with self._lock:
            for url in job.urls:
                self._state.files[_file_name(url)].ready = True
        return 200, {k: v for k, v in job.answer.items() if k != "meta"}, {}

    def _handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.method == "GET":
            return self._serve_file(request)
        body = request.body if isinstance(request.body, dict) else {}
        if not body.get("key"):
            return 401, {"status": "error", "message": "API key required"}, {}
        if body["key"] != self.key:
            return 401, {"status": "error", "message": "Invalid API key"}, {}
        scenario = self._next(request)
        if scenario.kind != "success" and request.route not in OPS:
            return failure_answer(scenario)
        if request.route in OPS:
            instant = request.path.startswith("/api/v6/realtime/") and body.get("instant_response")
            if instant is True and scenario.kind == "success":  # queued at once, with an id
                scenario = dataclasses.replace(scenario, kind="processing", fetches=1, eta=0.5)
            return self._submit(request, body, scenario)
        if request.route == "fetch":
            return self._fetch(request, body)
        if request.route == "upload":
            return self._upload(request, body)
        if request.route == "system_load":
            return 200, {"queue_num": 0, "queue_time": 0, "status": "ok"}, {}
        return 404, {"status": "error", "message": f"Not found: {request.path}"}, {}

    def flaky(self, seed: int, **rates: float) -> None:
        """Answer unscripted requests with seeded faults at these rates (see FLAKY_RATES):
        429 and a "try again later" error inside HTTP 200 on any POST; 500s and dropped
        connections only where the real service cannot have taken a paid job (uploads,
        fetches, file downloads: a 500 or a drop after a submit leaves the job unknown, and a
        client must not send it again); result links that serve once, then expire."""
        self._dice = Dice(seed)
        self._rates = {**FLAKY_RATES, **rates}

    def _next(self, request: Recorded) -> Scenario:
        with self._lock:
            for route in (request.path, request.route, "submit" if request.is_submit else ""):
                queue = self._state.queues.get(route)
                if queue:
                    return queue.popleft()
        if self._dice is not None:
            return self._flaky(request)
        return Scenario()

    def _flaky(self, request: Recorded) -> Scenario:
        assert self._dice is not None
        roll = self._dice.roll(request.method, request.path, request.body)
        rates = self._rates
        faults: list[tuple[float, Scenario]] = [
            (rates["rate_limited"], rate_limited(retry_after=0.05)),
            (rates["error_200"], error_200("Something went wrong, please try again later")),
        ]
        if request.method == "GET":
            faults = faults[:1]
        if not request.is_submit:
            faults += [(rates["server_error"], server_error(500)), (rates["dropped"], dropped())]
        for rate, fault in faults:
            if roll < rate:
                return fault
            roll -= rate
        if request.is_submit and roll < rates["queued"]:
            return processing(fetches=2, eta=0.05, expire=True)
        return Scenario(expire=True)

    def _submit(
        self, request: Recorded, body: dict[str, Any], scenario: Scenario
    ) -> tuple[int, Any, dict[str, str]]:
        if scenario.kind in ("error", "drop"):
            return failure_answer(scenario)
        problem = validate(request.path, body)
        if problem:
            return 400, {"status": "error", "message": problem}, {}
        try:
            inputs = {f: self._input(body[f], body) for f in _IMAGE_FIELDS if body.get(f)}
            if takes_ip_adapter(request.path) and body.get("ip_adapter_image"):
                inputs["ip_adapter_image"] = self._input(body["ip_adapter_image"], body)
        except LookupError:
            return (
                400,
                {"status": "error", "message": "Unable to fetch image from provided URL"},
                {},
            )
        meta = self._meta(request, body)
        only_mask = yes(body.get("only_mask"), request.path)
        image = draw(request.route, meta, inputs, body, black=scenario.black, only_mask=only_mask)
        job_id = str(self._ids.next(request.path, body))
        with self._lock:
            self._state.paid.append(request)
        as_b64 = scenario.base64 or yes(body.get("base64"), request.path)
        url = self._store(job_id, image, scenario, as_b64, ready=scenario.kind != "processing")
        answer = success_answer(job_id, url, meta, scenario)
        if scenario.kind == "processing":
            with self._lock:
                self._state.jobs[job_id] = _Job(job_id, scenario, answer, [url])
            answer = self._processing_answer(request, job_id, url, meta, scenario)
        if scenario.stall:
            time.sleep(scenario.stall)  # the job is taken (and charged) all the same
        return 200, (self._echo_key(answer) if scenario.echo_key else answer), {}

    def _echo_key(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Some services echo the key back in the links they answer with."""

        def echo(value: Any) -> Any:
            if isinstance(value, str) and value.startswith(self.base_url):
                return f"{value}?key={self.key}"
            if isinstance(value, list):
                return [echo(item) for item in value]
            return value

        return {name: echo(value) for name, value in answer.items()}

    def _processing_answer(
        self, request: Recorded, job_id: str, url: str, meta: dict[str, Any], sc: Scenario
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "status": "processing",
            "tip": "Your image is processing in background",
            "eta": sc.eta,
            ("messege" if sc.legacy else "message"): "Try to fetch request after seconds estimated",
            "id": int(job_id),
            "output": "" if request.route == "controlnet" else [],
            "future_links": [url],
            "meta": meta,
        }
        if sc.with_fetch_result:
            answer["fetch_result"] = self.base_url + fetch_path_for(request.path, job_id)
        return answer

    def _fetch(self, request: Recorded, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        job_id = fetch_route(request.path) or str(body.get("request_id") or "")
        if not job_id:
            return 400, {"status": "error", "message": "request_id is required"}, {}
        with self._lock:
            job = self._state.jobs.get(job_id)
            if job is None:
                return 404, {"status": "error", "message": f"Request id {job_id} not found"}, {}
            job.fetches += 1
            done = job.finished or job.fetches >= job.scenario.fetches
            if done:
                for url in job.urls:
                    self._state.files[_file_name(url)].ready = True
        if not done:
            message = "Request is still in processing"
            return 200, {"status": "processing", "message": message, "output": "", "id": job_id}, {}
        answer = {k: v for k, v in job.answer.items() if k != "meta"}
        return 200, answer, {}

    def _upload(self, request: Recorded, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        legacy = request.path.startswith("/api/v3/")
        data_url = str(body.get("image" if legacy else "init_image") or "")
        match = re.fullmatch(r"data:image/[a-z]+;base64,(.+)", data_url, re.S)
        try:
            data = base64.b64decode(match.group(1), validate=True) if match else b""
            Image.open(BytesIO(data)).verify()
        except Exception:
            return 400, {"status": "error", "message": "Invalid base64 image"}, {}
        if legacy and len(data) > 5 * 1024 * 1024:
            return 400, {"status": "error", "message": "Image size must be less than 5MB"}, {}
        upload_id = self._ids.next(request.path, body)
        url = self._put(f"upload-{upload_id}.png", _File(data, "image/png"))
        if legacy:
            return 200, {"status": "success", "link": url, "request_id": upload_id}, {}
        return 200, {"status": "success", "id": upload_id, "output": [url]}, {}

    def _serve_file(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        scenario = self._next(request)
        if scenario.kind != "success":
            return failure_answer(scenario)
        if scenario.redirect:
            return 302, b"", {"Location": scenario.redirect, "content-type": "text/plain"}
        with self._lock:
            entry = self._state.files.get(_file_name(request.path))
            if entry is None or not entry.ready or (entry.expire and entry.gets >= 1):
                return 404, b"Not Found", {"content-type": "text/plain"}
            entry.gets += 1
            headers = {"content-type": entry.content_type}
            if scenario.trickle:
                headers["x-fake-trickle"] = str(scenario.trickle)
            return 200, entry.data, headers

    def _input(self, url: Any, body: dict[str, Any]) -> Image.Image:
        text = str(url)
        if text.startswith("data:") and yes(body.get("base64")):
            return Image.open(BytesIO(base64.b64decode(text.partition(",")[2])))
        if not text.startswith(self.base_url + "/files/"):
            raise LookupError(text)
        with self._lock:
            entry = self._state.files[_file_name(text)]
        return Image.open(BytesIO(entry.data))

    def _meta(self, request: Recorded, body: dict[str, Any]) -> dict[str, Any]:
        seed = body.get("seed")
        prompt = str(body.get("prompt") or ("high quality" if request.route == "outpaint" else ""))
        if yes(body.get("enhance_prompt"), request.path, default=True):
            prompt += ENHANCE_SUFFIX
        named = "steps" if request.route == "inpaint" else "num_inference_steps"  # as documented
        steps = as_int(body.get(named), 30 if request.route == "inpaint" else 20)
        if self.max_steps is not None:
            steps = min(steps, self.max_steps)
        resolved = as_int(seed, -1)
        if seed is None or resolved < 0:  # null = random, reported in meta.seed
            resolved = random.randint(0, 2**32 - 1)
        meta: dict[str, Any] = {
            "prompt": prompt,
            "negative_prompt": body.get("negative_prompt") or "",
            "W": as_int(body.get("width"), 512),
            "H": as_int(body.get("height"), 512),
            "seed": resolved,
            "steps": steps,
            "guidance_scale": float(body.get("guidance_scale") or 7.5),
            "scheduler": body.get("scheduler") or "UniPCMultistepScheduler",
            "model_id": body.get("model_id") or ROUTES[request.path][2],
            "n_samples": as_int(body.get("samples"), 1),
            "safety_checker": "yes"
            if yes(body.get("safety_checker"), request.path, True)
            else "no",
        }
        if takes_ip_adapter(request.path):  # echoed by the v6 community endpoints only
            for extra in ("ip_adapter_id", "ip_adapter_scale", "ip_adapter_image"):
                if body.get(extra) is not None:
                    meta[extra] = body[extra]
        for extra in ("lora_model", "lora_strength", "embeddings_model", "controlnet_type"):
            if body.get(extra):
                meta[extra] = body[extra]
        return meta

    def _store(
        self, job_id: str, image: Image.Image, sc: Scenario, as_b64: bool, *, ready: bool
    ) -> str:
        data, content_type = encode(image, sc.fmt)
        ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}.get(sc.fmt, sc.fmt.lower())
        if as_b64:
            data, content_type, ext = base64.b64encode(data), "text/plain", "base64"
        return self._put(f"{job_id}-0.{ext}", _File(data, content_type, ready, sc.expire))

    def _put(self, name: str, entry: _File) -> str:
        with self._lock:
            self._state.files[name] = entry
        return f"{self.base_url}/files/{name}"


_IMAGE_FIELDS = ("init_image", "mask_image", "control_image", "image", "url")


def _matches(request: Recorded, route: str) -> bool:
    if route == "submit":
        return request.is_submit
    return route in (request.path, request.route)


def _file_name(url: str) -> str:
    return url.rsplit("/files/", 1)[-1]


@pytest.fixture
def fake_sdapi() -> Iterator[FakeSDAPI]:
    """A running FakeSDAPI for one test."""
    with FakeSDAPI() as fake:
        yield fake
