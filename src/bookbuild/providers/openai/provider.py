"""The `openai` provider: chat completions through the official `openai` SDK, against
api.openai.com or any OpenAI-compatible server (Ollama, vLLM, LM Studio) named by the preset's
`base_url` or `OPENAI_BASE_URL`.

Retries: one layer, this one. The SDK runs with `max_retries=0`; `_send` retries transient
failures (429 rate limits, 408, 409, 5xx, timeouts, dropped connections) up to MAX_RETRIES
times (a timeout only once: each one has already waited the whole `timeout`), waiting what
`retry-after-ms` / `retry-after` asks (more than two minutes: give up) or an exponential
backoff, and tells `on_retry` before each wait. The
SDK's loop is off because it retries a 429 `insufficient_quota` (no credit: never succeeds);
here that fails at once. Two fallbacks resend a request, changed, at most once each: with the
other name of the output limit (`max_tokens` / `max_completion_tokens`) when the server refuses
the one sent, and without `response_format` when it refuses structured output (the prompt asks
for JSON anyway). A ProviderError leaving this module has had its retries: do not add more.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.graph.ops import CHAT_OPS
from bookbuild.providers import pricing
from bookbuild.providers.base import (
    ChatRequest,
    ChatResult,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.openai import batches, image_models, images
from bookbuild.providers.openai.failures import Failure, status_failure
from bookbuild.providers.openai.options import OpenAIOptions
from bookbuild.providers.openai.replies import reply_problem

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_TIMEOUT = 120.0
NEWER_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-4.1", "gpt-5")
"""Model families that take `max_completion_tokens` and reject `max_tokens` on api.openai.com."""
MAX_RETRIES = 8
"""A busy service (429, 503) is asked again up to this many times, with backoff capped at 8 s:
a book is a batch job, and failing a step costs a second `make`."""
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
"""Reasoning models: they refuse `temperature`/`top_p` other than 1 (400 unsupported_value) and
often think for minutes, so they get REASONING_TIMEOUT and at most one retry after a timeout."""
REASONING_TIMEOUT = 600.0
SAMPLING_FIELDS = ("temperature", "top_p")
LIMIT_NAMES = ("max_tokens", "max_completion_tokens")
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


class OpenAIChatProvider(Provider[OpenAIOptions]):
    """Chat through the OpenAI SDK; see the module docstring for the retry design."""

    name = "openai"
    ops: ClassVar[frozenset[str]] = CHAT_OPS | images.IMAGE_OPS  # image ops: GPT image models
    Options = OpenAIOptions
    key_env = DEFAULT_KEY_ENV
    key_url = "https://platform.openai.com/api-keys"
    base_url_env = "OPENAI_BASE_URL"
    default_base_url = OFFICIAL_BASE_URL

    def __init__(
        self,
        preset: OpenAIOptions,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.retry = RetryPolicy(max_retries=MAX_RETRIES, sleep=lambda s: self.pause(s))
        self._lock = threading.Lock()
        self._sdk: openai.OpenAI | None = None
        self._limit_name: str | None = None  # learned from a server that refused the other one
        self._structured = True  # False once the server refused `response_format`

    @property
    def official(self) -> bool:  # api.openai.com, not an OpenAI-compatible server
        return urlsplit(self.base_url()).hostname == "api.openai.com"

    @classmethod
    def ops_for(cls, preset: OpenAIOptions) -> frozenset[str]:
        """Chat models write; GPT image models draw."""
        return images.IMAGE_OPS if image_models.is_image_model(preset.model) else CHAT_OPS

    @classmethod
    def preset_problems(cls, preset: OpenAIOptions) -> list[str]:
        problems = super().preset_problems(preset)
        if not preset.model:
            problems.append(
                "the openai provider needs `model` in its preset (e.g. `model: gpt-4o-mini`)"
            )
        if image_models.is_image_model(preset.model):
            return problems + images.preset_problems(preset)
        problems += images.chat_preset_problems(preset)
        if is_reasoning_model(preset.model) and _official_url(next(iter(preset.servers()), None)):
            for name in SAMPLING_FIELDS:
                value = getattr(preset, name)
                if value is not None and value != 1:
                    problems.append(
                        f"`{name}: {value:g}`: the reasoning model `{preset.model}` accepts only "
                        f"the default (1) and OpenAI refuses the request; remove `{name}`"
                    )
        unknown = sorted(set(preset.price or {}) - pricing.PRICE_KEYS)
        if unknown:
            problems.append(
                f"unknown chat price key(s) {', '.join(unknown)} in an openai preset: "
                "use input_per_mtok and output_per_mtok (USD per million tokens)"
            )
        return problems

    def check_ready(self) -> None:
        self.api_key()
        problems = self.preset_problems(self.preset)
        if problems:
            raise ConfigError("; ".join(problems))

    def api_key(self) -> str:
        key = self.env.get(self.key_var(), "").strip()
        if key:
            return key
        hint = "" if self.official else " (a local server that needs no key accepts any value)"
        raise ConfigError(self.missing_key_message(hint))

    def _client(self) -> openai.OpenAI:
        with self._lock:
            if self._sdk is None:
                import openai  # here, not at the top: importing it costs ~0.5 s

                self._sdk = openai.OpenAI(
                    api_key=self.api_key(),
                    base_url=self.base_url(),
                    organization=self.env.get("OPENAI_ORG_ID") or None,
                    project=self.env.get("OPENAI_PROJECT_ID") or None,
                    timeout=self.timeout(),
                    max_retries=0,  # the one retry layer is `_send`
                )
            return self._sdk

    def complete(self, request: ChatRequest) -> ChatResult:
        self.check_ready()
        if image_models.is_image_model(self.preset.model):
            raise ConfigError(
                f"openai: `{self.preset.model}` draws pictures; use a chat model (e.g. "
                "gpt-4o-mini) in the preset that writes"
            )
        self.check_stop()
        if self.batch_book is not None:
            collected = batches.collect(self, request, self.batch_book)
            if collected is not None:
                return collected
            if self.batching:
                batches.queue(self, request, self.batch_book)
        params = self.chat_params(request)
        response, request_id = self._send(params, request.step_id)
        text = self._reply_text(response, request.step_id)
        return ChatResult(text, self._metadata(response, request_id, params, request))

    def chat_params(self, request: ChatRequest) -> dict[str, Any]:
        """The body `complete` sends for `request` (before any fallback). No network."""
        preset = self.preset
        system = [{"role": "system", "content": preset.system}] if preset.system else []
        params: dict[str, Any] = {"model": preset.model, "messages": [*system, *request.messages]}
        options = {"temperature": preset.temperature, "top_p": preset.top_p, "seed": request.seed}
        if self.reasoning:  # they refuse sampling settings: the default is all they take
            options = {"seed": request.seed}
        params.update({name: value for name, value in options.items() if value is not None})
        if preset.max_tokens is not None:
            params[self._limit_param()] = preset.max_tokens
        if request.json_schema is not None and self._structured:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": _named_schema(request.json_schema),
            }
        return params

    @property
    def reasoning(self) -> bool:
        """A reasoning model on the official API (see REASONING_PREFIXES)."""
        return self.official and is_reasoning_model(self.preset.model)

    def timeout(self) -> float:
        """The preset's `timeout`, else one that fits the model's latency."""
        if self.preset.timeout:
            return float(self.preset.timeout)
        return REASONING_TIMEOUT if self.reasoning else DEFAULT_TIMEOUT

    def _limit_param(self) -> str:
        """`max_completion_tokens` for newer models on api.openai.com, else `max_tokens` (the
        name OpenAI-compatible servers know), unless a server already refused that one."""
        if self._limit_name:
            return self._limit_name
        newer = (self.preset.model or "").lower().startswith(NEWER_MODEL_PREFIXES)
        return "max_completion_tokens" if newer and self.official else "max_tokens"

    def _send(self, params: dict[str, Any], step_id: str) -> tuple[ChatCompletion, str | None]:
        """POST /chat/completions with the retries and fallbacks of the module docstring."""
        import openai

        client = self._client()
        fallbacks: set[str] = set()
        retries = timeouts = 0
        while True:
            try:
                raw = client.chat.completions.with_raw_response.create(**params)
                return raw.parse(), raw.headers.get("x-request-id")
            except openai.APIStatusError as exc:
                failure = status_failure(exc)
            except openai.APIConnectionError as exc:
                failure = self._connection_failure(exc)
            if self._fall_back(params, failure, fallbacks):
                continue
            retries += 1
            timeouts += failure.timed_out
            retry = failure.transient and timeouts <= 1
            wait = self.retry.wait(retries, failure.retry_after) if retry else None
            if wait is None:
                raise self._error(failure, step_id, attempts=retries) from None
            if self.on_retry is not None:
                self.on_retry(failure.reason, retries, wait)
            self.retry.sleep(wait)

    def _fall_back(self, params: dict[str, Any], failure: Failure, done: set[str]) -> bool:
        """Change `params` for a server that refused part of them; True to resend."""
        sent = next((name for name in LIMIT_NAMES if name in params), None)
        if sent and "limit" not in done and failure.rejects(sent):
            other = LIMIT_NAMES[1 - LIMIT_NAMES.index(sent)]
            params[other] = params.pop(sent)
            self._limit_name = other
            done.add("limit")
            return True
        refused = failure.param if failure.code == "unsupported_value" else None
        if failure.status == 400 and refused in SAMPLING_FIELDS and refused in params:
            del params[refused]  # a reasoning model behind a proxy: it takes only the default
            done.add(refused)
            return True
        if "response_format" in params and failure.rejects_structured_output():
            del params["response_format"]
            self._structured = False
            return True
        return False

    def _connection_failure(self, exc: openai.APIConnectionError) -> Failure:
        import openai

        where = _without_credentials(self.base_url())
        if isinstance(exc, openai.APITimeoutError):
            message = f"no answer from {where} within {self.timeout():g} s (the preset's `timeout`)"
            return Failure(message, timed_out=True)
        cause = f": {exc.__cause__}" if exc.__cause__ and str(exc.__cause__) else ""
        return Failure(f"could not talk to {where}{cause}")

    def _error(self, failure: Failure, step_id: str, attempts: int) -> ProviderError:
        return ProviderError(
            self._redact(failure.message) + self._advice(failure, attempts),
            provider=self.name,
            step_id=step_id,
            transient=failure.transient,
            status=failure.status,
            retry_after=failure.retry_after,
        )

    def _advice(self, failure: Failure, attempts: int) -> str:
        if failure.status == 401:
            return f" — check the key in {self.key_var()} (or name another with `api_key_env`)"
        if failure.code == "insufficient_quota":
            return " — not retried: the account has no credit left"
        if failure.status == 404:
            return f" — check the preset's `model` ({self.preset.model}) and `base_url`"
        if failure.transient and attempts > 1:
            return f" — gave up after {attempts} attempts"
        if failure.transient and failure.retry_after:
            return f" — the server asks to wait {failure.retry_after:g} s"
        return ""

    def _redact(self, text: str) -> str:
        key = self.env.get(self.key_var(), "").strip()
        return text.replace(key, "[redacted]") if len(key) >= 4 else text

    def _reply_text(self, response: ChatCompletion, step_id: str) -> str:
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "").strip() if choice else ""
        refusal = getattr(choice.message, "refusal", None) if choice else None
        problem = reply_problem(choice.finish_reason if choice else None, text, refusal)
        if problem:
            raise ProviderError(self._redact(problem), provider=self.name, step_id=step_id)
        return text

    def _metadata(
        self,
        response: ChatCompletion,
        request_id: str | None,
        params: dict[str, Any],
        request: ChatRequest,
    ) -> dict[str, Any]:
        usage = {name: getattr(response.usage, name, 0) or 0 for name in USAGE_FIELDS}
        tokens = usage["prompt_tokens"], usage["completion_tokens"]
        price = pricing.chat_price(response.model, self.preset.price) or pricing.chat_price(
            self.preset.model, self.preset.price
        )
        return {
            "provider": self.name,
            "model": response.model or self.preset.model,
            "requested_model": self.preset.model,
            "system_fingerprint": response.system_fingerprint,
            **({"seed": request.seed} if request.seed is not None else {}),
            "finish_reason": response.choices[0].finish_reason,
            "usage": usage,
            "cost": round(price.cost(*tokens), 8) if price else 0.0,
            "price_known": price is not None,
            "prices_as_of": pricing.PRICES_AS_OF,
            "request_id": request_id,
            "response_id": response.id,
            "structured_output": "response_format" in params,
        }

    def run_image(self, request: ImageRequest) -> ImageResult:
        self.check_ready()
        with self.naming_step(request.step_id):
            return images.run_image(self, request)

    @property
    def batching(self) -> bool:
        """Chat and image steps go through the Batch API (`batch: true`, or `make --batch`)."""
        return bool(self.preset.batch or self.batch_all)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        if kind == "image":
            per_image = images.forecast(self.preset) or 0.0
            return per_image * batches.BATCH_DISCOUNT if self.batching else per_image
        price = pricing.forecast(op, pricing.chat_price(self.preset.model, self.preset.price))
        return price * batches.BATCH_DISCOUNT if self.batching else price

    def price_known(self) -> bool:
        """Known from the table or the preset; a compatible (local) server counts as free."""
        if image_models.is_image_model(self.preset.model):
            return images.forecast(self.preset) is not None or not self.official
        known = pricing.chat_price(self.preset.model, self.preset.price) is not None
        return known or not self.official


def is_reasoning_model(model: str | None) -> bool:
    """o-series and gpt-5 reasoning models (not `gpt-5-chat…`, a plain chat model)."""
    name = (model or "").lower()
    return name.startswith(REASONING_PREFIXES) and not name.startswith("gpt-5-chat")


def _official_url(base_url: str | None) -> bool:
    return base_url is None or urlsplit(str(base_url)).hostname == "api.openai.com"


def _named_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`response_format.json_schema` wants {name, schema, strict}; accept a bare JSON Schema."""
    named = "schema" in schema and "name" in schema
    return schema if named else {"name": "reply", "schema": schema, "strict": True}


def _without_credentials(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//", url)
