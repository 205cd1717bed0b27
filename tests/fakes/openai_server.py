"""A fake OpenAI Chat Completions server: a real HTTP server on 127.0.0.1 that speaks
`POST /v1/chat/completions` in the documented format, for the real `openai` SDK to talk to.

    with FakeOpenAI() as fake:                       # or the `fake_openai` fixture
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url}
        fake.script(rate_limited(), reply("Once upon a time"))
        ...                                          # two requests: a 429, then the reply
        assert len(fake.requests) == 2 and fake.requests[0].body["model"] == "gpt-4o-mini"

Unscripted requests get a sensible reply made from the request (`default_reply`): JSON image
prompts when structured output or JSON is asked for (with an `alt` in the language the system
prompt names when the schema requires one), a short summary when the system prompt
asks to summarise, else chapter paragraphs in the language the system prompt names. Like the
real API, the fake also refuses `max_tokens` for newer models (o1/o3/o4/gpt-4.1/gpt-5...),
`temperature`/`top_p` other than 1 for reasoning models (400 unsupported_value),
refuses `response_format` when built with `structured_outputs=False`, and answers 401 to a
wrong key when built with `api_key=...`. Every request is recorded (headers and JSON body).

`/v1/images/generations` and `/v1/images/edits` are served by `openai_images` (scripted
answers apply to them too, e.g. `error(400, ..., code="moderation_blocked")` or
`rate_limited()`); the raw multipart bodies of edits are kept in `edit_forms`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import openai_batch, openai_images
from .flaky import Dice
from .loopback import QuietHandler, ServedFake

NEWER_MODELS = ("o1", "o3", "o4", "gpt-4.1", "gpt-5")
REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")
CHAT_PATH = "/v1/chat/completions"
IMAGES_PREFIX = "/v1/images/"
KEY_DOCS = "You can find your API key at https://platform.openai.com/account/api-keys."
QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # the decoded JSON body, or None

    @property
    def bearer(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ").strip()


Body = Mapping[str, Any] | Callable[[Recorded], Mapping[str, Any]]


@dataclass(frozen=True)
class Scripted:
    """One scripted answer. With `status` 200 and no `body`, a chat.completion is made from
    the request, with `content` (None: the default reply) and `finish_reason`."""

    status: int = 200
    body: Body | None = None
    content: str | None = None
    finish_reason: str = "stop"
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


def reply(content: str | None = None, *, finish_reason: str = "stop") -> Scripted:
    return Scripted(content=content, finish_reason=finish_reason)


def error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Scripted:
    """An answer with OpenAI's error body `{"error": {message, type, param, code}}`."""
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return Scripted(status=status, body=body, headers=dict(headers or {}))


def rate_limited(retry_after_ms: int = 20, model: str = "gpt-4o-mini") -> Scripted:
    """429 `rate_limit_exceeded` with `retry-after-ms` (and a whole-second `retry-after`)."""
    message = (
        f"Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 20ms. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    headers = {"retry-after-ms": str(retry_after_ms), "retry-after": "1"}
    return error(429, message, type="requests", code="rate_limit_exceeded", headers=headers)


def insufficient_quota() -> Scripted:
    return error(429, QUOTA_MESSAGE, type="insufficient_quota", code="insufficient_quota")


def server_error(status: int = 500) -> Scripted:
    message = "The server had an error while processing your request. Sorry about that!"
    return error(status, message, type="server_error")


def invalid_api_key() -> Scripted:
    """401 `invalid_api_key`; like the real API, the message shows the key masked."""

    def body(request: Recorded) -> dict[str, Any]:
        message = f"Incorrect API key provided: {mask_key(request.bearer)}. {KEY_DOCS}"
        error = {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}
        return {"error": {**error, "param": None}}

    return Scripted(status=401, body=body)


def unsupported_value(param: str, value: Any) -> Scripted:
    """What reasoning models (o-series, gpt-5) answer to a sampling setting other than 1."""
    message = (
        f"Unsupported value: '{param}' does not support {value} with this model. "
        "Only the default (1) value is supported."
    )
    return error(400, message, param=param, code="unsupported_value")


def unsupported_max_tokens() -> Scripted:
    message = (
        "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead."
    )
    return error(400, message, param="max_tokens", code="unsupported_parameter")


def response_format_unsupported() -> Scripted:
    message = (
        "Invalid parameter: 'response_format' of type 'json_schema' is not supported with "
        "this model. Learn more about supported models at the Structured Outputs guide: "
        "https://platform.openai.com/docs/guides/structured-outputs"
    )
    return error(400, message, param="response_format")


def dropped_connection() -> Scripted:
    return Scripted(drop=True)


def content_filter() -> Scripted:
    return Scripted(content="", finish_reason="content_filter")


def slow(delay: float, then: Scripted | None = None) -> Scripted:
    """Answer like `then` (default: a normal reply), after `delay` seconds."""
    return dataclasses.replace(then or Scripted(), delay=delay)


def mask_key(key: str) -> str:
    return f"{key[:3]}{'*' * 8}{key[-4:]}" if len(key) > 8 else "*" * len(key)


class FakeOpenAI(ServedFake):
    """The server. `base_url` ends in /v1, as the SDK wants; `requests` lists what came in."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        structured_outputs: bool = True,
        snapshot: str = "2024-07-18",
        system_fingerprint: str = "fp_fake0001",
    ) -> None:
        self.api_key = api_key
        self.structured_outputs = structured_outputs
        self.snapshot = snapshot
        self.system_fingerprint = system_fingerprint
        self.requests: list[Recorded] = []
        self.edit_forms: list[bytes] = []  # raw multipart bodies of /v1/images/edits
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._dice: Dice | None = None
        self._fault_rates = (0.0, 0.0)
        self.batch = openai_batch.BatchService(self)  # /v1/files and /v1/batches

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the chat requests, in order."""
        return [r.body for r in self.requests if r.path == CHAT_PATH]

    def script(self, *answers: Scripted) -> None:
        """Queue answers for the next requests, in order; then back to default replies."""
        with self._lock:
            self._queue.extend(answers)

    def flaky(self, seed: int, rate_limited: float = 0.25, unavailable: float = 0.15) -> None:
        """Answer unscripted requests with seeded faults: 429 rate limits (with
        `retry-after-ms`) and 503 "overloaded" at these rates."""
        self._dice = Dice(seed)
        self._fault_rates = (rate_limited, unavailable)

    def _flaky(self, request: Recorded) -> Scripted | None:
        assert self._dice is not None
        roll = self._dice.roll(request.method, request.path, request.body)
        limited, unavailable = self._fault_rates
        if roll < limited:
            return rate_limited(retry_after_ms=30)
        if roll < limited + unavailable:
            return error(503, "The server is overloaded or not ready yet.", type="server_error")
        return None

    def answer(self, request: Recorded) -> Scripted:
        """What to answer `request`: the next scripted answer, else what the real API would."""
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        body = request.body if isinstance(request.body, dict) else {}
        if self._dice is not None:
            fault = self._flaky(request)
            if fault is not None:
                return fault
        if request.path != CHAT_PATH:
            return error(404, f"Invalid URL (POST {request.path})")
        if self.api_key is not None and request.bearer != self.api_key:
            return invalid_api_key()
        if "max_tokens" in body and str(body.get("model", "")).startswith(NEWER_MODELS):
            return unsupported_max_tokens()
        model = str(body.get("model", ""))
        for name in ("temperature", "top_p"):
            if model.startswith(REASONING_MODELS) and body.get(name, 1) != 1:
                return unsupported_value(name, body[name])
        if "response_format" in body and not self.structured_outputs:
            return response_format_unsupported()
        return Scripted()

    def answer_images(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Scripted answers first (429, moderation_blocked...), else `openai_images`."""
        body: Any = None
        if path == IMAGES_PREFIX + "generations":
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
        request = Recorded("POST", path, headers, body)
        with self._lock:
            self.requests.append(request)
            if path == IMAGES_PREFIX + "edits":
                self.edit_forms.append(raw)
            scripted = self._queue.popleft() if self._queue else None
        if scripted is None and self.api_key is not None and request.bearer != self.api_key:
            scripted = invalid_api_key()
        if scripted is not None:
            payload = scripted.body(request) if callable(scripted.body) else scripted.body
            return scripted.status, payload, dict(scripted.headers)
        if path == IMAGES_PREFIX + "generations":
            status, answer = openai_images.generations(body)
        elif path == IMAGES_PREFIX + "edits":
            status, answer = openai_images.edits(headers.get("content-type", ""), raw)
        else:
            status, answer = 404, {"error": {"message": f"Invalid URL (POST {path})"}}
        return status, answer, {}

    @property
    def image_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(IMAGES_PREFIX)]

    def completion(self, request: Recorded, answer: Scripted) -> dict[str, Any]:
        """The chat.completion object for a 200 answer, in the documented shape."""
        body = request.body if isinstance(request.body, dict) else {}
        content = answer.content if answer.content is not None else default_reply(body)
        model = str(body.get("model", "gpt-4o-mini"))
        if not re.search(r"-\d{4}-\d{2}-\d{2}$", model):
            model = f"{model}-{self.snapshot}"
        prompt_tokens = sum(len(_text(m.get("content"))) for m in body.get("messages", [])) // 4
        completion_tokens = max(1, len(content) // 4)
        return {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": self.system_fingerprint,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content or None, "refusal": None},
                    "logprobs": None,
                    "finish_reason": answer.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens + 7,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + 7 + completion_tokens,
            },
            "service_tier": "default",
        }


class _Handler(QuietHandler):
    def serve(self) -> None:
        if self.path.startswith(IMAGES_PREFIX):
            self.serve_images()
            return
        if self.path.startswith(("/v1/files", "/v1/batches")):
            self.serve_batch()
            return
        path, headers, body = self.read_json()
        request = Recorded(self.command, path, headers, body)
        fake: FakeOpenAI = self.server.fake
        answer = fake.answer(request)
        self.server.pause(answer.delay)
        if answer.drop:
            self.close_connection = True
            return
        if answer.status == 200 and answer.body is None:
            payload: Mapping[str, Any] = fake.completion(request, answer)
        elif callable(answer.body):
            payload = answer.body(request)
        else:
            payload = answer.body or {}
        data = json.dumps(payload, ensure_ascii=False).encode()
        headers_out = {**answer.headers, "x-request-id": _request_id(fake)}
        self.reply(answer.status, data, "application/json", headers_out)

    def serve_batch(self) -> None:
        """/v1/files and /v1/batches: the Batch API (openai_batch)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeOpenAI = self.server.fake
        status, payload = fake.batch.handle(self.command, self.path, headers, raw)
        if isinstance(payload, bytes):
            self.reply(status, payload, "application/octet-stream", {})
            return
        self.reply(status, json.dumps(payload).encode(), "application/json", {})

    def serve_images(self) -> None:
        """/v1/images/*: the body is JSON (generations) or multipart (edits)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeOpenAI = self.server.fake
        status, payload, extra = fake.answer_images(self.path.split("?")[0], headers, raw)
        extra["x-request-id"] = _request_id(fake)
        self.reply(status, json.dumps(payload).encode(), "application/json", extra)


def _request_id(fake: FakeOpenAI) -> str:
    return f"req_fake{len(fake.requests):04d}"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI for one test."""
    with FakeOpenAI() as fake:
        yield fake


# -- default replies ---------------------------------------------------------------------------

LANGUAGES = ("Korean", "Japanese", "Chinese")


def default_reply(body: Mapping[str, Any]) -> str:
    """A plausible reply to a bookbuild request: JSON image prompt, summary, or chapter."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") != "user")
    user = next(
        (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
    )
    found = re.search(r"(?:titled|Chapter) [“\"]([^”\"]+)[”\"]", user)
    title = found.group(1) if found else "the chapter"
    language = next((name for name in LANGUAGES if name in system), "English")
    if "response_format" in body or "JSON" in system:
        if "characters" in _required(body):
            answer = cast_prompt_json(title, user)
        else:
            answer = image_prompt_json(title, user)
        if "alt" in _required(body) or '"alt"' in system:
            answer = json.dumps({**json.loads(answer), "alt": ALTS[language]}, ensure_ascii=False)
        return answer
    if "summar" in system.lower():
        return SUMMARIES.get(language, SUMMARIES["English"]).replace("{title}", title)
    return "\n\n".join(CHAPTERS.get(language, CHAPTERS["English"])).replace("{title}", title)


def image_prompt_json(title: str, user: str) -> str:
    style = re.search(r"Style note:\s*(.+)", user)
    prompt = (
        "a small rabbit and a patient tortoise at the start line of a forest race, morning "
        "light through tall trees, wide shot, soft colours"
    )
    if style:
        prompt = f"{prompt}, {style.group(1).strip()}"
    negative = "text, watermark, signature, extra limbs, blurry"
    return json.dumps({"prompt": prompt, "negative_prompt": negative}, ensure_ascii=False)


def _required(body: Mapping[str, Any]) -> list[str]:
    """The `required` fields of the structured output asked for (`response_format`)."""
    schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
    required = schema.get("required", []) if isinstance(schema, dict) else []
    return [str(name) for name in required]


def cast_prompt_json(title: str, user: str) -> str:
    """What a model following bookbuild's cast instructions answers: the characters whose
    name occurs in the chapter, as `{id}` placeholders, listed in `characters`."""
    roster = re.findall(r"^- \{([a-z0-9_-]+)\}: (.+)$", user, re.MULTILINE)
    chapter = user.split("Chapter “", 1)[-1]
    shown = [cid for cid, name in roster if name.strip() in chapter]
    subjects = " and ".join(f"{{{cid}}}" for cid in shown) or "a quiet forest"
    prompt = f"{subjects} at the start line of a forest race, morning light, wide shot"
    style = re.search(r"Style note:\s*(.+)", user)
    if style:
        prompt = f"{prompt}, {style.group(1).strip()}"
    body = {"prompt": prompt, "negative_prompt": "text, watermark", "characters": shown}
    return json.dumps(body, ensure_ascii=False)


ALTS = {  # what a model asked for the alt text (`style.alt: describe`) answers, by language
    "English": "A small rabbit and a patient tortoise wait side by side at a forest start line.",
    "Korean": "토끼와 거북이가 숲속 출발선에 나란히 서 있습니다.",
    "Japanese": "森のスタートラインに、うさぎとかめが並んで立っています。",
    "Chinese": "兔子和乌龟并排站在森林里的起跑线上。",
}
SUMMARIES = {
    "English": "In “{title}”, the rabbit mocks the tortoise and challenges him to a race.",
    "Korean": "「{title}」에서 토끼는 거북이를 놀리고 경주를 제안한다. 거북이는 조용히 받아들인다.",
    "Japanese": "「{title}」で、うさぎはかめをからかい、かけっこを申し込む。",
    "Chinese": "在「{title}」中，兔子嘲笑乌龟，并向它提出赛跑。",
}
CHAPTERS = {
    "English": (
        "The morning of “{title}” was bright and cool, and the meadow smelled of wet grass.",
        "The rabbit laughed at the tortoise. “You are so slow,” he said. “Race me, then.”",
        "The tortoise only nodded, and the animals of the forest gathered to watch.",
    ),
    "Korean": (
        "「{title}」의 아침은 맑고 서늘했다. 풀밭에는 이슬 냄새가 가득했다.",
        "토끼가 거북이를 보며 웃었다. “너는 정말 느리구나. 나랑 경주해 볼래?”",
        "거북이는 고개만 끄덕였고, 숲속 동물들이 하나둘 모여들었다.",
    ),
    "Japanese": (
        "「{title}」の朝は明るく、草原には露のにおいがした。",
        "うさぎはかめを見て笑った。「きみはのろいね。かけっこしようか。」",
    ),
    "Chinese": ("「{title}」的早晨明亮而清凉。", "兔子看着乌龟笑了：“你真慢，我们来赛跑吧。”"),
}


def _text(content: Any) -> str:
    """The text of a message's content: a string, or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


FakeOpenAI.handler = _Handler
