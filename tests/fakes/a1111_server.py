"""A fake AUTOMATIC1111 / Forge web UI started with `--api`: a real HTTP server on 127.0.0.1
speaking the documented shapes of `modules/api/api.py` and `models.py`, for the real client to
talk to.

    with FakeA1111(auth=("ann", "s3cret"), controlnet=True) as fake:   # or `fake_a1111`
        env = fake.env        # A1111_BASE_URL (and A1111_AUTH when auth is on)
        fake.script("txt2img", crash("OutOfMemoryError", "CUDA out of memory"))
        ...
        assert fake.count("/sdapi/v1/txt2img") == 1

What it does, after the web UI: images travel as bare base64 (a `data:` prefix is stripped);
`info` is a JSON *string* with `seed`/`all_seeds` (random when -1), `sd_model_name`,
`sd_model_hash` and `infotexts`; `batch_size x n_iter` images come back; a checkpoint in
`override_settings.sd_model_checkpoint` is used for that request only and an unknown one is
silently ignored (the loaded model draws); `POST /sdapi/v1/options` changes the global model
(tests check it is never called). Errors: FastAPI's 422 `{"detail": [{loc, msg, type}]}` for
badly typed fields (pydantic v1 wording, or v2 with `pydantic=2` as Forge); the web UI's own
`{"error", "detail", "body", "errors"}` for 400 "Sampler not found", 404 "Init image not found",
422 "Script 'controlnet' not found", 500 "Invalid encoded image", an unknown upscaler or a
ControlNet unit naming a model that is not installed; 401 under `--api-auth`; 404 on every
`/sdapi/` route when started without `--api` (`api=False`). Generation is serialised by one
lock, like the web UI's queue lock; `max_in_flight` says how many requests ever overlapped.

Scripted answers are queued per route with `script(route, ...)` (a path, or its last part such
as "txt2img", "img2img", "extra-single-image", "rembg"); unscripted requests are served.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from . import a1111_catalog as catalog
from . import a1111_drawing as drawing
from .a1111_answers import ApiError, check_unit, decoded, info_of
from .a1111_validation import validation_errors
from .loopback import QuietHandler, ServedFake

__all__ = ["Answer", "FakeA1111", "Recorded", "crash", "dropped", "fake_a1111"]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    """A scripted answer: (status, JSON payload), or a dropped connection when `drop`."""

    status: int = 200
    payload: Any = None
    drop: bool = False


def crash(error: str, message: str, status: int = 500) -> Answer:
    """What the web UI answers when generation raises, e.g. crash("OutOfMemoryError", ...)."""
    return Answer(status, ApiError(status, message, error).payload())


def dropped() -> Answer:
    return Answer(drop=True)


@dataclass
class _State:
    requests: list[Recorded] = field(default_factory=list)
    queues: dict[str, deque[Answer]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0


class FakeA1111(ServedFake):
    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        api: bool = True,
        controlnet: bool = True,
        controlnet_routes: bool = True,
        rembg: bool = False,
        ip_adapter: bool = True,
        max_units: int = 3,
        pydantic: int = 1,
        work_seconds: float = 0.0,
    ) -> None:
        self.auth, self.api, self.pydantic = auth, api, pydantic
        self.controlnet, self.rembg = controlnet, rembg
        self.controlnet_routes = controlnet and controlnet_routes  # the extension's /controlnet/*
        self.work_seconds = work_seconds
        self.ip_adapter = ip_adapter  # IP-Adapter models in models/ControlNet
        self.max_units = max_units  # Settings > ControlNet > "Multi-ControlNet: max models"
        self.used_units: list[list[dict[str, Any]]] = []  # per generation: the units applied
        self.loaded = catalog.CHECKPOINTS[0]
        self._state = _State()
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()  # the web UI's `queue_lock`
        self._random = random.Random(1234)

    handler: type[QuietHandler]  # set below

    # -- for tests -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {"A1111_BASE_URL": self.base_url}
        if self.auth:
            env["A1111_AUTH"] = ":".join(self.auth)
        return env

    def script(self, route: str, *answers: Answer) -> None:
        with self._lock:
            self._state.queues.setdefault(route, deque()).extend(answers)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._state.requests)

    def of(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def count(self, path: str) -> int:
        return len(self.of(path))

    @property
    def generations(self) -> list[Recorded]:
        """The requests that make pictures (the calls a user waits for)."""
        paid = ("/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/extra-single-image", "/rembg")
        return [r for r in self.requests if r.method == "POST" and r.path in paid]

    @property
    def max_in_flight(self) -> int:
        return self._state.max_in_flight

    # -- serving ---------------------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, Any]:
        with self._lock:
            self._state.requests.append(request)
            scripted = self._scripted(request.path)
        if scripted is not None:
            return (-1, None) if scripted.drop else (scripted.status, scripted.payload)
        try:
            return self._route(request)
        except ApiError as err:
            return err.status, err.payload()

    def _scripted(self, path: str) -> Answer | None:
        for route, queue in self._state.queues.items():
            if queue and (path == route or path.endswith("/" + route)):
                return queue.popleft()
        return None

    def _route(self, request: Recorded) -> tuple[int, Any]:
        path, method = request.path, request.method
        if path.startswith("/sdapi/"):
            if not self.api:
                return 404, {"detail": "Not Found"}
            self._check_auth(request.headers)
        route = _GETS.get(path) if method == "GET" else _POSTS.get(path)
        if route is None or (path.startswith("/controlnet/") and not self.controlnet_routes):
            known = path in _GETS or path in _POSTS
            if known and not path.startswith("/controlnet/"):
                return 405, {"detail": "Method Not Allowed"}
            return 404, {"detail": "Not Found"}
        if path == "/rembg" and not self.rembg:
            return 404, {"detail": "Not Found"}
        if method == "POST":
            errors = validation_errors(path, request.body, style=self.pydantic)
            if errors:
                return 422, {"detail": errors}
        if path in _WORK:
            return 200, self._generate(getattr(self, route), request.body)
        return 200, getattr(self, route)(request.body)

    def _check_auth(self, headers: dict[str, str]) -> None:
        if self.auth is None:
            return
        given = headers.get("authorization", "")
        if not given.lower().startswith("basic "):
            raise ApiError(401, "Not authenticated")
        user, _, password = base64.b64decode(given[6:]).decode().partition(":")
        if (user, password) != self.auth:
            raise ApiError(401, "Incorrect username or password")

    def _generate(self, work: Any, body: dict[str, Any]) -> Any:
        with self._lock:
            self._state.in_flight += 1
            self._state.max_in_flight = max(self._state.max_in_flight, self._state.in_flight)
        try:
            with self._queue_lock:
                if self.work_seconds:
                    time.sleep(self.work_seconds)
                return work(body)
        finally:
            with self._lock:
                self._state.in_flight -= 1

    # -- discovery routes ------------------------------------------------------------------

    def _sd_models(self, _: Any) -> Any:
        return [c.listing() for c in catalog.CHECKPOINTS]

    def _samplers(self, _: Any) -> Any:
        return catalog.samplers_listing()

    def _schedulers(self, _: Any) -> Any:
        return catalog.schedulers_listing()

    def _upscalers(self, _: Any) -> Any:
        return catalog.upscalers_listing()

    def _options(self, _: Any) -> Any:
        return {
            "sd_model_checkpoint": self.loaded.title,
            "samples_format": "png",
            "sd_vae": "Automatic",
        }

    def _set_options(self, body: Any) -> Any:
        name = (body or {}).get("sd_model_checkpoint")
        if name is not None:
            found = catalog.find_checkpoint(name)
            if found is None:
                raise ApiError(500, f"model {name!r} not found", "RuntimeError")
            self.loaded = found
        return None

    def _scripts(self, _: Any) -> Any:
        names = ["prompt matrix", "prompts from file or textbox", "x/y/z plot"]
        names += ["controlnet"] if self.controlnet else []
        return {"txt2img": names, "img2img": [*names, "outpainting mk2"]}

    def _progress(self, _: Any) -> Any:
        return {
            "progress": 0.0,
            "eta_relative": 0.0,
            "state": {},
            "current_image": None,
            "textinfo": None,
        }

    def _cn_version(self, _: Any) -> Any:
        return {"version": 2}

    @property
    def cn_models(self) -> tuple[str, ...]:
        return catalog.CONTROLNET_MODELS + (catalog.IP_ADAPTER_MODELS if self.ip_adapter else ())

    @property
    def cn_modules(self) -> tuple[str, ...]:
        return catalog.CONTROLNET_MODULES + (catalog.IP_ADAPTER_MODULES if self.ip_adapter else ())

    def _cn_models(self, _: Any) -> Any:
        return {"model_list": ["None", *self.cn_models]}

    def _cn_modules(self, _: Any) -> Any:
        return {"module_list": list(self.cn_modules), "module_detail": {}}

    def _cn_settings(self, _: Any) -> Any:
        return {"control_net_unit_count": self.max_units}

    # -- work routes -----------------------------------------------------------------------

    def _txt2img(self, body: dict[str, Any]) -> Any:
        return self._process(body, None)

    def _img2img(self, body: dict[str, Any]) -> Any:
        if body.get("init_images") is None:
            raise ApiError(404, "Init image not found")
        if body.get("mask"):
            decoded(body["mask"])
        return self._process(body, [decoded(i) for i in body["init_images"]])

    def _process(self, body: dict[str, Any], inits: list[Image.Image] | None) -> Any:
        sampler_asked = str(body.get("sampler_name") or body.get("sampler_index") or "Euler")
        sampler, schedule = catalog.sampler_and_scheduler(sampler_asked, body.get("scheduler"))
        if sampler is None:
            raise ApiError(400, "Sampler not found")
        control = self._control_image(body.get("alwayson_scripts") or {})
        checkpoint = self._checkpoint(body)
        seed = int(body.get("seed", -1) if body.get("seed") is not None else -1)
        if seed == -1:
            seed = self._random.randrange(0, 4294967294)
        count = int(body.get("batch_size") or 1) * int(body.get("n_iter") or 1)
        seeds = [seed + i for i in range(count)]
        params = {**body, "sampler_name": sampler, "scheduler": schedule}
        with self._lock:
            units = self.used_units[-1] if self.used_units else []
        info = info_of(params, seeds, checkpoint, inits is not None, units)
        pictures = []
        for i, s in enumerate(seeds):
            picture = (
                drawing.img2img(inits[i % len(inits)], body, s, checkpoint.title)
                if inits
                else drawing.txt2img(body, s, checkpoint.title)
            )
            if control is not None:
                picture = drawing.with_control(picture, control)
            picture = self._references(picture.convert("RGB"))
            pictures.append(drawing.encode(picture, info["infotexts"][i]))
        echo = dict(body)
        if inits is not None and not body.get("include_init_images"):
            echo["init_images"], echo["mask"] = None, None
        return {
            "images": pictures if body.get("send_images", True) else [],
            "parameters": echo,
            "info": json.dumps(info),
        }

    def _checkpoint(self, body: dict[str, Any]) -> catalog.Checkpoint:
        """The override for this request; an unknown name is silently ignored (the web UI)."""
        overrides = body.get("override_settings") or {}
        found = catalog.find_checkpoint(overrides.get("sd_model_checkpoint"))
        if found is not None and body.get("override_settings_restore_afterwards") is False:
            self.loaded = found  # not restored: the server's global model changes
        return found or self.loaded

    def _control_image(self, scripts: dict[str, Any]) -> Image.Image | None:
        """The control map of the first non-IP-Adapter unit; IP-Adapter units are recorded in
        `used_units` (and drawn by `_references`). Units past the server's unit count are
        ignored, as the extension reads only that many."""
        for name in scripts:
            if name.lower() not in self._scripts(None)["txt2img"]:
                raise ApiError(422, f"Script '{name}' not found")
        units = (scripts.get("controlnet") or scripts.get("ControlNet") or {}).get("args") or []
        units = units[: self.max_units]
        for unit in units:
            check_unit(unit, self.cn_models, self.cn_modules)
        active = [u for u in units if u.get("enabled") and (u.get("image") or u.get("input_image"))]
        with self._lock:
            self.used_units.append(active)
        maps = [u for u in active if not str(u.get("module", "")).startswith("ip-adapter")]
        if not maps:
            return None
        image = maps[0].get("image") or maps[0].get("input_image")
        return decoded(image["image"] if isinstance(image, dict) else image)

    def _references(self, picture: Image.Image) -> Image.Image:
        """Each IP-Adapter unit's picture, small, along the top edge (left to right)."""
        with self._lock:
            units = self.used_units[-1] if self.used_units else []
        ip_units = [u for u in units if str(u.get("module", "")).startswith("ip-adapter")]
        side = max(1, picture.width // 4)
        for index, unit in enumerate(ip_units):
            thumb = decoded(unit.get("image") or unit.get("input_image")).convert("RGB")
            picture.paste(thumb.resize((side, side)), (index * side, 0))
        return picture

    def _extra_single(self, body: dict[str, Any]) -> Any:
        image = decoded(str(body.get("image") or ""))
        name = body.get("upscaler_1", "None")
        if name not in catalog.UPSCALERS:
            raise ApiError(500, f"could not find upscaler named {name}", "AssertionError")
        result = drawing.upscale(image, body)
        return {
            "image": drawing.encode(result),
            "html_info": f"<p>Upscale: {body.get('upscaling_resize', 2)}, model:{name}</p>",
        }

    def _rembg(self, body: dict[str, Any]) -> Any:
        image = decoded(str(body.get("input_image") or ""))
        return {"image": drawing.encode(drawing.remove_background(image))}


_GETS = {
    "/sdapi/v1/sd-models": "_sd_models",
    "/sdapi/v1/samplers": "_samplers",
    "/sdapi/v1/schedulers": "_schedulers",
    "/sdapi/v1/upscalers": "_upscalers",
    "/sdapi/v1/options": "_options",
    "/sdapi/v1/scripts": "_scripts",
    "/sdapi/v1/progress": "_progress",
    "/controlnet/version": "_cn_version",
    "/controlnet/model_list": "_cn_models",
    "/controlnet/module_list": "_cn_modules",
    "/controlnet/settings": "_cn_settings",
}
_POSTS = {
    "/sdapi/v1/txt2img": "_txt2img",
    "/sdapi/v1/img2img": "_img2img",
    "/sdapi/v1/extra-single-image": "_extra_single",
    "/sdapi/v1/options": "_set_options",
    "/rembg": "_rembg",
}
_WORK = frozenset(
    {"/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/extra-single-image", "/rembg"}
)


class _Handler(QuietHandler):
    def serve(self) -> None:
        path, headers, body = self.read_json()
        status, payload = self.server.fake.handle(Recorded(self.command, path, headers, body))
        if status < 0:
            self.close_connection = True
            return
        self.reply(status, json.dumps(payload).encode(), "application/json", {})


FakeA1111.handler = _Handler


@pytest.fixture
def fake_a1111() -> Iterator[FakeA1111]:
    with FakeA1111() as fake:
        yield fake
