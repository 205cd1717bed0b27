"""A fake Stability AI REST v2beta service: a real HTTP server on 127.0.0.1 speaking the
documented formats (image-apis.md §2, services-2026-11.md §5.2), for the real `requests` to
talk to.

    with FakeStability() as fake:                      # or the `fake_stability` fixture
        env = fake.env                                 # STABILITY_API_KEY, STABILITY_BASE_URL
        fake.script("inpaint", content_moderation())   # the next inpaint is refused with 403
        ...
        assert fake.count("submit") == 1 and fake.credits == 0

What it does, per the reference's checklist:
- bodies must be multipart/form-data with quoted part names (else 400 `bad_request`);
- bodies over 10 MiB get 413 `payload_too_large`;
- the validator runs before auth: bad fields -> 400 with `field: problem` errors, then a
  missing or wrong `authorization: Bearer` -> 401;
- prompts in a non-Latin script -> 422 `invalid_language`;
- `accept: image/*` (or none, or */*) -> the image bytes with `finish-reason`, `seed` and
  `x-request-id` headers; `accept: application/json` -> `{image, seed, finish_reason}` with
  `content-type: application/json; type=image/png`; any other accept -> 400;
- seed 0 or none = a random seed, reported; output sizes follow `aspect_ratio`;
- upscale/creative is asynchronous: 200 `{id}`, then GET /v2beta/results/{id} answers 202
  `{id, status: "in-progress"}` while running and 200 with the image when done; 404
  `generation_not_found` for unknown ids or another key;
- every error body is `{id, name, errors[]}`; `credits` adds up what a real account would pay
  (accepted jobs, including content-filtered ones; never refused ones).

Scripted answers (`script(route, ...)`; a route is an endpoint's short name such as "ultra",
"inpaint", "creative", "results", or "submit" for any POST): `error`, `content_moderation`,
`rate_limited`, `server_error`, `filtered` (200 CONTENT_FILTERED with a blurred picture),
`dropped` (the job is accepted and charged, then the connection closes without an answer),
`running(polls)` (async: 202 that many times).
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import secrets
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pytest
from PIL import Image

from . import stability_drawing as draw
from .loopback import QuietHandler, ServedFake
from .multipart import Form, MalformedForm, is_multipart, parse_form
from .stability_routes import (
    ENDPOINTS,
    LANGUAGE_FIELDS,
    MAX_SEED,
    RESULTS_PREFIX,
    Endpoint,
    non_english,
    validate,
)

KEY = "sk-stability-test-0123456789abcdef"
MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """How to answer one request. kind: success, error, filtered, dropped."""

    kind: str = "success"
    status: int = 200
    name: str = ""
    errors: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    polls: int = 1  # async jobs: 202 answers before the result


def error(status: int, name: str, *errors: str, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer("error", status, name, errors or ("error",), dict(headers or {}))


def content_moderation() -> Answer:
    return error(
        403,
        "content_moderation",
        "Your request was flagged by our content moderation system, as a result your request "
        "was denied and you were not charged.",
    )


def rate_limited(retry_after: int | None = None) -> Answer:
    headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
    return error(
        429,
        "rate_limit_exceeded",
        "You have exceeded the rate limit of 150 requests within a 10 second period, and have "
        "been timed out for 60 seconds.",
        headers=headers,
    )


def server_error() -> Answer:
    return error(
        500, "internal_error", "An unexpected server error has occurred, please try again later."
    )


def filtered() -> Answer:
    return Answer("filtered")


def dropped() -> Answer:
    return Answer("dropped")


def running(polls: int) -> Answer:
    return Answer(polls=polls)


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    route: str  # endpoint short name, "results" or "unknown"
    headers: dict[str, str]  # lower-case names
    form: Form | None

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.form.fields) if self.form else {}

    def image(self, name: str = "image") -> Image.Image:
        part = self.form.file(name) if self.form else None
        assert part is not None, f"no {name} part"
        return Image.open(BytesIO(part.data))


@dataclass
class _Job:
    key: str
    data: bytes
    content_type: str
    seed: int
    finish_reason: str
    polls_left: int


Reply = tuple[int, Any, dict[str, str]]  # status, JSON payload or bytes (None = drop), headers


class FakeStability(ServedFake):
    """The server. `base_url` is the host root (paths start with /v2beta/...)."""

    def __init__(self, key: str = KEY, *, scale: float = 0.25) -> None:
        self.key = key
        self.scale = scale  # output size factor for generate/style (keeps tests fast)
        self.credits = 0.0
        self._requests: list[Recorded] = []
        self._queues: dict[str, deque[Answer]] = {}
        self._jobs: dict[str, _Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {"STABILITY_API_KEY": self.key, "STABILITY_BASE_URL": self.base_url}

    def script(self, route: str, *answers: Answer) -> None:
        with self._lock:
            self._queues.setdefault(route, deque()).extend(answers)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def of(self, route: str) -> list[Recorded]:
        submit = route == "submit"
        return [r for r in self.requests if r.route == route or (submit and r.method == "POST")]

    def count(self, route: str) -> int:
        return len(self.of(route))

    # -- serving -----------------------------------------------------------------------------

    def handle(self, request: Recorded, raw_size: int, content_type: str) -> Reply:
        with self._lock:
            self._requests.append(request)
        if request.route == "results":
            return self._result(request)
        endpoint = ENDPOINTS.get(request.path)
        if request.method != "POST" or endpoint is None:
            return _error(404, "not_found", f"{request.method} {request.path}: no such endpoint")
        if raw_size > MAX_BODY:
            return _error(
                413, "payload_too_large", "body: payloads cannot be larger than 10MiB in size"
            )
        if request.form is None:
            return _error(400, "bad_request", "content-type: must be multipart/form-data")
        return self._submit(endpoint, request)

    def _submit(self, endpoint: Endpoint, request: Recorded) -> Reply:
        assert request.form is not None
        problems = validate(endpoint, request.form)
        accept = request.headers.get("accept", "image/*")
        if accept not in ("image/*", "*/*", "application/json"):
            problems.append("accept: must be image/* or application/json")
        if problems:
            return _error(400, "bad_request", *problems)
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(401, "unauthorized", "authorization: missing or invalid API key")
        if any(non_english(request.fields.get(f, "")) for f in LANGUAGE_FIELDS):
            return _error(
                422, "invalid_language", "English is the only supported language for this service."
            )
        answer = self._next(endpoint.route)
        if answer.kind == "error":
            return _error(answer.status, answer.name, *answer.errors, headers=answer.headers)
        picture, seed = self._draw(endpoint, request.form)
        finish = "SUCCESS"
        if answer.kind == "filtered":
            picture, finish = draw.blurred(picture), "CONTENT_FILTERED"
        with self._lock:
            self.credits += endpoint.credits
        if answer.kind == "dropped":
            return 0, None, {}
        data, content_type = _encode(picture, request.fields.get("output_format", "png"))
        if endpoint.is_async:
            return self._start_job(data, content_type, seed, finish, answer.polls)
        return _image_reply(data, content_type, seed, finish, accept == "application/json")

    def _start_job(
        self, data: bytes, content_type: str, seed: int, finish: str, polls: int
    ) -> Reply:
        job_id = secrets.token_hex(32)
        with self._lock:
            self._jobs[job_id] = _Job(self.key, data, content_type, seed, finish, polls)
        return 200, {"id": job_id}, {}

    def _result(self, request: Recorded) -> Reply:
        job_id = request.path.removeprefix(RESULTS_PREFIX)
        if request.headers.get("accept", "image/*") not in ("image/*", "application/json"):
            # the results route documents only these two (a submit takes */* as well)
            return _error(400, "bad_request", "accept: must be image/* or application/json")
        answer = self._next("results")
        if answer.kind == "error":
            return _error(answer.status, answer.name, *answer.errors, headers=answer.headers)
        if answer.kind == "dropped":
            return 0, None, {}
        bearer = request.headers.get("authorization", "")
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or bearer != f"Bearer {job.key}":
                job = None
            elif job.polls_left > 0:
                job.polls_left -= 1
                return 202, {"id": job_id, "status": "in-progress"}, {}
        if job is None:
            return _error(
                404,
                "generation_not_found",
                "id: the generation either does not exist or has expired.",
            )
        as_json = request.headers.get("accept") == "application/json"
        return _image_reply(
            job.data, job.content_type, job.seed, job.finish_reason, as_json, "result"
        )

    def _next(self, route: str) -> Answer:
        with self._lock:
            for name in (route, "submit" if route != "results" else ""):
                queue = self._queues.get(name)
                if queue:
                    return queue.popleft()
        return Answer()

    def _draw(self, endpoint: Endpoint, form: Form) -> tuple[Image.Image, int]:
        fields = form.fields
        seed = int(float(fields.get("seed", "0") or 0)) or random.randint(1, MAX_SEED)
        image = _open(form, "image")
        mask = _open(form, "mask")
        prompt = fields.get("prompt", "")
        route = endpoint.route
        ratio = fields.get("aspect_ratio", "1:1")

        def number(name: str, default: float) -> float:
            return float(fields.get(name, default))

        if route in ("ultra", "sd3", "core"):
            if image is not None:
                return draw.img2img(image, prompt, number("strength", 0.5)), seed
            return draw.generate(prompt, seed, draw.ratio_size(route, ratio, self.scale)), seed
        if route == "inpaint":
            where = draw.mask_of(image, mask, int(number("grow_mask", 5)))
            return draw.inpaint(image, where, prompt), seed
        if route == "erase":
            return draw.erase(image, draw.mask_of(image, mask, int(number("grow_mask", 5)))), seed
        if route == "search-and-replace":
            where = draw.found(image, fields["search_prompt"], int(number("grow_mask", 3)))
            return draw.inpaint(image, where, prompt), seed
        if route == "outpaint":
            margins = {s: int(number(s, 0)) for s in ("left", "right", "up", "down")}
            return draw.outpaint(image, margins, prompt), seed
        if route == "remove-background":
            return draw.remove_background(image), seed
        if route in ("fast", "conservative", "creative"):
            return draw.upscale(image, route), seed
        if route in ("sketch", "structure"):
            return draw.control(image, prompt, number("control_strength", 0.7)), seed
        size = draw.ratio_size("style", ratio, self.scale)
        return draw.style(image, prompt, size, number("fidelity", 0.5)), seed


def _open(form: Form, name: str) -> Any:
    part = form.file(name)
    return Image.open(BytesIO(part.data)) if part is not None else None


def _encode(picture: Image.Image, output_format: str) -> tuple[bytes, str]:
    fmt = {"jpeg": "JPEG", "webp": "WEBP"}.get(output_format, "PNG")
    buffer = BytesIO()
    (picture.convert("RGB") if fmt == "JPEG" else picture).save(buffer, format=fmt)
    return buffer.getvalue(), f"image/{fmt.lower()}"


def _image_reply(
    data: bytes, content_type: str, seed: int, finish: str, as_json: bool, key: str = "image"
) -> Reply:
    if as_json:
        body = {key: base64.b64encode(data).decode(), "seed": seed, "finish_reason": finish}
        return 200, body, {"content-type": f"application/json; type={content_type}"}
    headers = {"content-type": content_type, "finish-reason": finish, "seed": str(seed)}
    return 200, data, headers


def _error(status: int, name: str, *errors: str, headers: Mapping[str, str] | None = None) -> Reply:
    body = {"id": secrets.token_hex(16), "name": name, "errors": list(errors)}
    return status, body, dict(headers or {})


def _route_of(method: str, path: str) -> str:
    if method == "GET" and path.startswith(RESULTS_PREFIX):
        return "results"
    endpoint = ENDPOINTS.get(path)
    return endpoint.route if endpoint else "unknown"


class _Handler(QuietHandler):
    def serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?")[0]
        content_type = headers.get("content-type", "")
        form: Form | None = None
        malformed = ""
        if self.command == "POST" and is_multipart(content_type) and len(raw) <= MAX_BODY:
            try:
                form = parse_form(content_type, raw)
            except MalformedForm as exc:
                malformed = str(exc)
        fake: FakeStability = self.server.fake
        request = Recorded(self.command, path, _route_of(self.command, path), headers, form)
        if malformed:
            with fake._lock:
                fake._requests.append(request)
            status, payload, extra = _error(400, "bad_request", malformed)
        else:
            status, payload, extra = fake.handle(request, len(raw), content_type)
        if payload is None:
            self.close_connection = True
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        content_type_out = extra.pop("content-type", "application/json")
        extra["x-request-id"] = secrets.token_hex(16)
        self.reply(status, data, content_type_out, extra)


FakeStability.handler = _Handler


@pytest.fixture
def fake_stability() -> Iterator[FakeStability]:
    """A running FakeStability for one test."""
    with FakeStability() as fake:
        yield fake
