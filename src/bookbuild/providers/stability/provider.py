"""The `stability` provider: Stability AI's REST v2beta (DreamStudio's API).

One op is one multipart request (`calls` says which endpoint and fields), answered with the
picture and the `finish-reason` and `seed` it was made with (`client`). A CONTENT_FILTERED
picture is blurred by the service: the step fails with advice and nothing is stored. The
creative upscaler is asynchronous: its job id is journaled before any waiting, so a build
killed meanwhile resumes polling the same job instead of paying again. Pictures come back at
the service's sizes and are brought to the asked size here: generated pictures are scaled and
centre-cropped from the nearest aspect ratio, edits keep the input's pixels outside the mask
(and outpaint the original inside the grown canvas) exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import (
    CastNeeds,
    CastProblem,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.stability import fitting, references
from bookbuild.providers.stability.calls import (
    CREDITS,
    MODELS,
    USD_PER_CREDIT,
    Call,
    control_call,
    control_of,
    crop_share,
    edit_call,
    generate_call,
    nearest_ratio,
    upscale_call,
    within_size_limit,
)
from bookbuild.providers.stability.client import Picture, Running, StabilityClient
from bookbuild.providers.stability.options import StabilityOptions
from bookbuild.store.journal import JobJournal

log = logging.getLogger("bookbuild.providers.stability")

DEFAULT_DEADLINE = 900.0
MAX_CROP = 0.12  # sizes further than this from every aspect ratio are refused at validate
FILTERED_ADVICE = (
    "Stability's moderation blurred the picture (finish-reason CONTENT_FILTERED); nothing was "
    "stored. Change the prompt (or the input picture) and run make again"
)


class StabilityProvider(Provider[StabilityOptions]):
    """Image ops on Stability AI. `sleep` and `clock` are attributes so tests can replace every
    wait."""

    name: ClassVar[str] = "stability"
    ops: ClassVar[frozenset[str]] = frozenset(
        {
            "txt2img",
            "img2img",
            "inpaint",
            "outpaint",
            "upscale",
            "remove_background",
            "controlnet",
            "erase",
            "replace",
        }
    )
    Options = StabilityOptions
    key_env: ClassVar[str | None] = "STABILITY_API_KEY"
    key_url: ClassVar[str] = "https://platform.stability.ai/account/keys"
    base_url_env: ClassVar[str | None] = "STABILITY_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.stability.ai"

    def __init__(
        self, preset: StabilityOptions, env: Mapping[str, str], on_retry: RetryNotice | None = None
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._client: StabilityClient | None = None
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"StabilityProvider(model={self.preset.model!r})"

    @classmethod
    def preset_problems(cls, preset: StabilityOptions) -> list[str]:
        problems = super().preset_problems(preset)
        if preset.model is not None and preset.model not in MODELS:
            problems.append(f"unknown model `{preset.model}`; use one of {', '.join(MODELS)}")
        if preset.cfg_scale is not None and not (preset.model or "").startswith("sd3"):
            problems.append("`cfg_scale` only applies to the sd3.5 models")
        if preset.width and preset.height:
            problems += size_problems(preset.width, preset.height)
        if any(not url.startswith(("https://", "http://")) for url in preset.servers()):
            problems.append("`base_url` must start with https:// (or http:// for a local server)")
        return problems

    @classmethod
    def request_problems(
        cls, preset: StabilityOptions, *, size: tuple[int, int] | None, texts: tuple[str, ...]
    ) -> list[str]:
        problems = size_problems(*size) if size else []
        if any(_non_latin(text) for text in texts):
            problems.append(
                "Stability takes English prompts only (it answers 422 invalid_language); "
                "write this prompt in English, or use `describe:` so a chat preset writes it"
            )
        return problems

    @classmethod
    def cast_problems(
        cls, preset: StabilityOptions, op: str, needs: CastNeeds
    ) -> list[CastProblem]:
        return references.cast_problems(preset, op, needs)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        if kind != "image":
            return 0.0
        if self.preset.price and "per_image" in self.preset.price:
            return float(self.preset.price["per_image"])
        return self.credits(op) * USD_PER_CREDIT

    def credits(self, op: str) -> float:
        """Stability's list price of one `op` with this preset, in credits."""
        if op in ("txt2img", "img2img"):
            return CREDITS[self.model]
        if op == "upscale":
            return CREDITS[self.preset.upscaler]
        return CREDITS.get(op, 0.0)

    @property
    def model(self) -> str:
        return self.preset.model or "core"

    def run_image(self, request: ImageRequest) -> ImageResult:
        self.check_ready()
        if request.op not in self.ops:
            raise ConfigError(f"stability: cannot do {request.op!r}")
        with self.naming_step(request.step_id):
            return self._run(request)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- one op ----------------------------------------------------------------------------

    def _run(self, request: ImageRequest) -> ImageResult:
        call = within_size_limit(self._call(request))
        pending = request.journal.pending()
        with _forget_on_failure(request.journal):
            if pending and pending.get("id"):
                log.debug("resuming job %s", pending["id"])
                picture = self._wait(Running(str(pending["id"])), request.journal)
            else:
                answer = self._submit(call, request.journal)
                picture = self._wait(answer, request.journal)
        request.journal.forget()
        if picture.finish_reason != "SUCCESS":
            raise ProviderError(FILTERED_ADVICE, provider="stability")
        image = fitting.finish(request, decode_image(picture.data, what="Stability's answer"))
        return ImageResult(encode_png(image), self._metadata(request, call, picture))

    def _submit(self, call: Call, journal: JobJournal) -> Picture | Running:
        """The paid POST, its intent journaled first (a lost answer is then known)."""
        journal.intend(f"stability {call.path}")
        try:
            return self.client().submit(call.path, call.fields, call.files)
        except ProviderError:
            journal.forget()  # its message says whether it may have been accepted
            raise

    def _metadata(self, request: ImageRequest, call: Call, picture: Picture) -> dict[str, Any]:
        """What the service says it used (the seed), and what it cost."""
        credits = CREDITS.get(call.priced_as, 0.0)
        generated = request.op in ("txt2img", "img2img")
        metadata: dict[str, Any] = {
            "provider": "stability",
            "model": self.model if generated else call.path.rsplit("/", 1)[-1],
            "endpoint": call.path,
            "finish_reason": picture.finish_reason,
            "credits": credits,
            "cost": credits * USD_PER_CREDIT,
        }
        if picture.seed is not None:
            metadata["seed"] = picture.seed
        if "aspect_ratio" in call.fields:
            metadata["aspect_ratio"] = call.fields["aspect_ratio"]
        if call.image_as != "png":
            metadata["input_sent_as"] = call.image_as
        metadata.update(references.metadata(request, call))
        return metadata

    def _wait(self, answer: Picture | Running, journal: JobJournal) -> Picture:
        """The picture; an asynchronous job is journaled, then polled every 10 s."""
        if isinstance(answer, Picture):
            return answer
        if not answer.id:
            raise ProviderError("the service started a job without an id", provider="stability")
        if not (journal.pending() or {}).get("id"):
            journal.remember({"id": answer.id})
        limit = self.preset.deadline or DEFAULT_DEADLINE
        deadline = self.clock() + limit
        while True:
            if self.clock() >= deadline:
                raise ProviderError(
                    f"job {answer.id} is still running after {limit:g} s; "
                    "run make again to keep waiting (it will not be paid again)",
                    provider="stability",
                    transient=True,
                )
            self.sleep(self.preset.poll_interval)
            polled = _poll(self.client(), answer.id)
            if isinstance(polled, Picture):
                return polled

    def _call(self, request: ImageRequest) -> Call:
        fields = self._fields(request)
        styled = references.style_call(self.preset, request, fields)
        if styled is not None:  # the art style's reference: control/style draws it
            return styled
        op = request.op
        if op in ("txt2img", "img2img"):
            fields["aspect_ratio"] = nearest_ratio(request.width, request.height)
            return generate_call(
                self.model, fields, request.image if op == "img2img" else None, request.strength
            )
        if op == "controlnet":
            settings = request.params.get("controlnet") or {}
            control = control_of(str(settings.get("type", "")), self.preset.control)
            image = _needed(request.control_image, "a control image")
            ratio = nearest_ratio(request.width, request.height)
            return control_call(control, image, fields, float(settings.get("strength", 0.7)), ratio)
        image = _needed(request.image, "an input image")
        if op == "upscale":
            return upscale_call(self.preset.upscaler, image, fields)
        return edit_call(op, image, fields, request.mask, request.params)

    def _fields(self, request: ImageRequest) -> dict[str, str]:
        preset = self.preset
        fields = {"output_format": "png", "grow_mask": str(preset.grow_mask)}
        if request.prompt:
            fields["prompt"] = request.prompt
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        if request.seed:
            fields["seed"] = str(request.seed % 4294967295)
        if preset.style_preset:
            fields["style_preset"] = preset.style_preset
        if preset.cfg_scale is not None:
            fields["cfg_scale"] = f"{preset.cfg_scale:g}"
        if preset.creativity is not None:
            fields["creativity"] = f"{preset.creativity:g}"
        return fields

    def client(self) -> StabilityClient:
        with self._guard:
            if self._client is None:
                self._client = StabilityClient(
                    self.base_url(),
                    self.api_key(),
                    timeout=self.preset.timeout,
                    policy=RetryPolicy(sleep=lambda seconds: self.sleep(seconds)),
                    notify=self.on_retry,
                )
            return self._client


def size_problems(width: int, height: int) -> list[str]:
    """A size Stability cannot come near: generated at the nearest ratio, too much is cropped."""
    share = crop_share(width, height)
    if share <= MAX_CROP:
        return []
    ratio = nearest_ratio(width, height)
    return [
        f"{width}x{height} is {share:.0%} away from every aspect ratio Stability generates "
        f"(nearest {ratio}); that much would be cropped away. Choose a size near one of "
        "21:9, 16:9, 3:2, 5:4, 1:1, 4:5, 2:3, 9:16, 9:21"
    ]


def _non_latin(text: str) -> bool:
    """Letters beyond Latin scripts (Hangul, kana, Han, Cyrillic...)."""
    return any(ch.isalpha() and ord(ch) > 0x024F for ch in text)


def _needed(data: bytes | None, what: str) -> bytes:
    if data is None:
        raise ProviderError(f"this op needs {what}", provider="stability")
    return data


def _poll(client: StabilityClient, job_id: str) -> Picture | Running:
    """One look at a paid job. A refusal of the poll itself is not the job failing: the job
    stays journaled (transient), so the next make polls it again instead of paying again; only
    a 404 (the job does not exist, or expired after 24 h) lets it go."""
    try:
        return client.result(job_id)
    except ProviderError as err:
        if err.status == 404:
            raise
        raise ProviderError(
            f"job {job_id} could not be polled ({err.message}); it stays recorded: run make "
            "again to fetch it (it will not be paid again)",
            provider="stability",
            transient=True,
            status=err.status,
        ) from None


@contextmanager
def _forget_on_failure(journal: JobJournal) -> Iterator[None]:
    """A job the service refused is forgotten; one still running (a transient error) is kept
    so the next build resumes it."""
    try:
        yield
    except ProviderError as err:
        if not err.transient:
            journal.forget()
        raise
