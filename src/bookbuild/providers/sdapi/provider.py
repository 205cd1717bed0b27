"""The `sdapi` provider: Stable Diffusion API / ModelsLab (stablediffusionapi.com, modelslab.com).

One op is: upload the input images (the service only takes URLs), submit the op's JSON body
(the key inside it, never in a header), wait for a queued job through its `fetch_result` URL,
download the result at once (links expire), check it, and return it as PNG bytes with the
parameters the service reports having used. Which endpoint each op and API family uses is in
`paths`; the bodies are in `bodies`; HTTP, retries and downloads in `client`;
queued jobs and the journal in `jobs`. Outpaint is an inpaint of the picture padded to the
grown canvas with a mask of the new area, exact on every family (`bookbuild.media.outpaint`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

from PIL import Image

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.outpaint import Outpaint, prepare, restore
from bookbuild.providers.base import (
    CastNeeds,
    CastProblem,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.sdapi import references
from bookbuild.providers.sdapi.bodies import build_body
from bookbuild.providers.sdapi.client import SDAPIHttp
from bookbuild.providers.sdapi.images import (
    SAFETY_ADVICE,
    decode_output,
    file_bytes,
    is_blank,
    read_input,
)
from bookbuild.providers.sdapi.jobs import (
    DEFAULT_DEADLINE,
    Job,
    JobFailed,
    Poller,
    eta_of,
    output_urls,
    pick_meta,
)
from bookbuild.providers.sdapi.options import SDAPIOptions
from bookbuild.providers.sdapi.paths import (
    COMMUNITY,
    DEFAULT_BASE_URL,
    endpoint,
    resolve_family,
)
from bookbuild.providers.sdapi.sizing import fit_for_service, restore_size
from bookbuild.providers.sdapi.uploads import Uploads
from bookbuild.store.journal import JobJournal

log = logging.getLogger("bookbuild.providers.sdapi")

DEFAULT_KEY_ENV = "SDAPI_KEY"
BASE_URL_ENV = "SDAPI_BASE_URL"
DEFAULT_PRICE_PER_IMAGE = 0.0047
"""USD per image of ModelsLab's pay-as-you-go API; a preset's `price: {per_image}` overrides."""
GENERATIVE_OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "controlnet"})


class SDAPIProvider(Provider[SDAPIOptions]):
    """Image ops on the Stable Diffusion API. `sleep` and `clock` are attributes so tests (and
    callers) can replace every wait."""

    name: ClassVar[str] = "sdapi"
    ops: ClassVar[frozenset[str]] = frozenset(
        {"txt2img", "img2img", "controlnet", "inpaint", "outpaint", "upscale", "remove_background"}
    )
    Options = SDAPIOptions
    key_env: ClassVar[str | None] = DEFAULT_KEY_ENV
    key_url: ClassVar[str] = "https://modelslab.com/dashboard/api-keys"  # ModelsLab's
    base_url_env: ClassVar[str | None] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        preset: SDAPIOptions,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.sleep: Callable[[float], None] = self.pause
        self.clock: Callable[[], float] = time.monotonic
        self._uploads = Uploads()
        self._submitted: set[str] = set()  # step ids submitted in this build
        self._resubmitted: set[str] = set()  # step ids whose failed job was submitted again
        self._guard = threading.Lock()
        self._http: SDAPIHttp | None = None

    def __repr__(self) -> str:
        return f"SDAPIProvider(model={self.preset.model!r}, api={self.preset.api!r})"

    def check_ready(self) -> None:
        super().check_ready()
        if not self.base_url().startswith(("https://", "http://")):
            raise ConfigError(
                f"sdapi: the base URL (`base_url` or {BASE_URL_ENV}) must start with https://"
            )

    @classmethod
    def preset_problems(cls, preset: SDAPIOptions) -> list[str]:
        try:
            family = resolve_family(preset)
        except ConfigError as exc:
            return [str(exc).removeprefix("sdapi: ")]
        problems = super().preset_problems(preset)
        if family == "v4" and not preset.model:
            problems.append("`api: v4` needs `model`, a community model id")
        if preset.lora and family not in COMMUNITY:
            problems.append("`lora` needs a community model: set `model` (api v4 or v6)")
        if any(not url.startswith(("https://", "http://")) for url in preset.servers()):
            problems.append("`base_url` must start with https:// (or http:// for a local server)")
        problems += size_problems(preset)
        return problems

    @classmethod
    def preset_op_problem(cls, preset: SDAPIOptions, op: str) -> str | None:
        try:
            family = resolve_family(preset)
        except ConfigError:
            return None  # reported by preset_problems
        if op == "controlnet" and family not in COMMUNITY:
            return (
                "ControlNet needs a community model: set `model` (e.g. `model: sd-1.5`, api v4 "
                "or v6); a preset without one (realtime) sends no usable `model_id`"
            )
        return None

    @classmethod
    def cast_problems(cls, preset: SDAPIOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
        return references.cast_problems(preset, op, needs)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        if kind != "image":
            return 0.0
        return float((self.preset.price or {}).get("per_image", DEFAULT_PRICE_PER_IMAGE))

    def run_image(self, request: ImageRequest) -> ImageResult:
        self.check_ready()
        if request.op not in self.ops:
            raise ConfigError(f"sdapi: unknown image op {request.op!r}")
        with self.naming_step(request.step_id):
            return self._run(request)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # -- one op, start to end -------------------------------------------------------------

    def _run(self, request: ImageRequest) -> ImageResult:
        references.check_references(self.preset, request)  # before any upload or submit
        http = self._client()
        outpaint = self._outpaint(request) if request.op == "outpaint" else None
        sized = fit_for_service(request)  # sides over 1024 or not multiples of 8: scaled
        with _forget_on_failure(request.journal):
            job, answer, uploads = self._finished_job(http, sized.request, outpaint)
            image = self._collect(http, answer, job, sized.request)
        # The journal is forgotten by the engine once the result is stored, not here.
        if outpaint is not None:
            image = restore(image, outpaint)
        image = restore_size(image, sized)
        metadata = self._metadata(request, job, answer, image, uploads)
        if sized.sent is not None:
            metadata["sent_size"] = list(sized.sent)
        if outpaint is not None:
            metadata.update(outpaint_via="inpaint", canvas=list(outpaint.canvas))
            if outpaint.scaled:
                metadata["sent_size"] = list(outpaint.sent)
        return ImageResult.of_image(image, metadata)

    def _finished_job(
        self, http: SDAPIHttp, request: ImageRequest, outpaint: Outpaint | None
    ) -> tuple[Job, dict[str, Any], int]:
        """The job of this step and its success answer: resumed from the journal when a paid
        job is recorded there, else submitted; a job the service says failed is forgotten and
        submitted once more."""
        pending = request.journal.pending()
        job = Job.from_journal(http.reveal(pending)) if pending else None
        try:
            if job is not None:
                log.debug("resuming job %s", job.id)
                return job, job.answer or self._poller(http).wait(job, eta=None), 0
            return self._submit(http, request, outpaint)
        except JobFailed as failed:
            request.journal.forget()
            if not self._may_submit_again(request.step_id):
                raise
            log.debug("job failed on the service (%s); submitting once more", failed.message)
        return self._submit(http, request, outpaint)

    def _may_submit_again(self, step_id: str) -> bool:
        """One more submit for a step whose job failed, once per build."""
        with self._guard:
            if step_id in self._resubmitted:
                return False
            self._resubmitted.add(step_id)
            self._submitted.discard(step_id)
            return True

    def _claim_submit(self, step_id: str) -> None:
        """Never submit the same step twice in one build (unless its job is known failed)."""
        with self._guard:
            if step_id in self._submitted:
                raise ProviderError(
                    "this step was already submitted in this build; not paying twice "
                    "(run make again)",
                    provider="sdapi",
                )
            self._submitted.add(step_id)

    def _outpaint(self, request: ImageRequest) -> Outpaint:
        """The padded picture and mask of an outpaint (see `bookbuild.media.outpaint`)."""
        if request.image is None:
            raise ProviderError("outpaint needs an input image", provider="sdapi")
        picture = read_input(request.image, "input image")
        return prepare(picture, request.params, (request.width, request.height))

    def _submit(
        self, http: SDAPIHttp, request: ImageRequest, outpaint: Outpaint | None
    ) -> tuple[Job, dict[str, Any], int]:
        """Upload, submit, and wait if queued: (job, success answer, uploads made). The job is
        journaled as soon as the service answers, queued or done, before any wait or download."""
        family = resolve_family(self.preset)
        path = endpoint(family, request.op)
        if outpaint is not None:
            inputs, uploads = self._uploads.outpaint(http, family, outpaint)
        else:
            inputs, uploads = self._uploads.inputs(http, family, request)
        body = build_body(request.op, family, path, self.preset, request, inputs)
        fields, fresh = references.reference_fields(  # uploaded as an init image is
            self.preset, request, lambda png: self._uploads.upload(http, family, png)
        )
        body.update(fields)
        uploads += fresh
        log.debug("submit %s with fields %s", path, ", ".join(sorted(body)))
        self.check_stop()
        self._claim_submit(request.step_id)
        sent = self.clock()
        request.journal.intend(f"sdapi {path}")  # before paying: a lost answer is known
        try:
            answer = http.submit(path, body)
        except ProviderError:
            request.journal.forget()  # the error says whether it may have been queued
            raise
        status = http.check(answer)
        job = Job.from_answer(answer, family, path)
        if status == "processing" and not job.fetch_result:
            raise ProviderError("the service queued the job without an id", provider="sdapi")
        if status == "success":
            job = job.done(answer)
        request.journal.remember(http.conceal(job.to_journal()))
        if status == "processing":
            log.debug("job %s queued, eta %s s", job.id, answer.get("eta"))
            eta = eta_of(answer)  # counted from when the service got the job, not answered
            left = None if eta is None else max(0.0, eta - (self.clock() - sent))
            answer = self._poller(http).wait(job, left)
            request.journal.remember(http.conceal(job.done(answer).to_journal()))
        return job, answer, uploads

    def _collect(
        self, http: SDAPIHttp, answer: dict[str, Any], job: Job, request: ImageRequest
    ) -> Image.Image:
        """The result: kept in the journal already, else downloaded at once (links expire) and
        kept before anything else can lose it; then checked."""
        if str(answer.get("nsfw_content_detected", "")).lower() in ("true", "yes", "1"):
            raise ProviderError(f"{SAFETY_ADVICE} (nsfw_content_detected)", provider="sdapi")
        data = request.journal.kept()
        if data is None:
            data = self._download(http, answer, job)
            request.journal.keep(data)
        image = decode_output(data, "")
        if request.op != "remove_background" and is_blank(image):
            raise ProviderError(SAFETY_ADVICE, provider="sdapi")
        return image

    def _download(self, http: SDAPIHttp, answer: dict[str, Any], job: Job) -> bytes:
        """The result file's bytes (base64 links decoded), from the first link that works."""
        found = output_urls(answer)
        candidates = found + [u for u in job.future_links if u not in found]
        if not candidates:
            raise ProviderError("the service reported success but sent no image", provider="sdapi")
        errors: list[ProviderError] = []
        for url in candidates:
            try:  # every link may 404 for a moment after `success`: retried briefly
                return file_bytes(http.download(url, retry_missing=True), url)
            except ProviderError as err:
                errors.append(err)
        if all(e.status == 404 for e in errors):  # gone for good: the job must be paid again
            raise ProviderError(
                "could not download the image: the links expired; "
                "the next make submits the job again",
                provider="sdapi",
                status=404,
            )
        raise next((e for e in errors if e.transient), errors[-1])

    # -- plumbing -------------------------------------------------------------------------

    def _metadata(
        self,
        request: ImageRequest,
        job: Job,
        answer: dict[str, Any],
        image: Image.Image,
        uploads: int,
    ) -> dict[str, Any]:
        meta = {**job.meta, **pick_meta(answer)}
        generative = request.op in GENERATIVE_OPS
        default_model = self.preset.upscale_model if request.op == "upscale" else self.preset.model
        info: dict[str, Any] = {
            "provider": self.name,
            "api": job.family,
            "endpoint": job.endpoint,
            "model": meta.get("model_id") or meta.get("model") or default_model,
            "seed": _as_int(meta.get("seed"), request.seed) if generative else None,
            "steps": _as_int(meta.get("steps"), self.preset.steps) if generative else None,
            "scheduler": (meta.get("scheduler") or self.preset.scheduler) if generative else None,
            "width": image.width,
            "height": image.height,
            "generation_time": _as_float(answer.get("generationTime")),
            "job_id": job.id or None,
            "cost": self.estimate_cost("image", request.op),
            "uploads": uploads,
        }
        info.update(references.reference_metadata(self.preset, request))
        used = meta.get("prompt")
        if generative and isinstance(used, str) and used.strip() != request.prompt.strip():
            info["prompt_used"] = used
        http = self._client()
        return {
            k: http.redact(v) if isinstance(v, str) else v for k, v in info.items() if v is not None
        }

    def _client(self) -> SDAPIHttp:
        with self._guard:
            if self._http is None:
                self._http = SDAPIHttp(
                    self.base_url(),
                    self.api_key(),
                    timeout=self.preset.timeout,
                    sleep=lambda seconds: self.sleep(seconds),
                    notify=self._notify_retry,
                )
            return self._http

    def _poller(self, http: SDAPIHttp) -> Poller:
        return Poller(
            http,
            clock=lambda: self.clock(),
            sleep=lambda seconds: self.sleep(seconds),
            deadline=self.preset.deadline or DEFAULT_DEADLINE,
        )

    def _notify_retry(self, reason: str, attempt: int, wait: float) -> None:
        if self.on_retry is not None:
            self.on_retry(reason, attempt, wait)


@contextmanager
def _forget_on_failure(journal: JobJournal) -> Iterator[None]:
    """A definitive failure forgets the queued job; a transient one keeps it for the rerun."""
    try:
        yield
    except ProviderError as err:
        if not err.transient:
            journal.forget()
        raise


MAX_SIDE = 1024


def size_problems(preset: SDAPIOptions) -> list[str]:
    """The service refuses sides over 1024 px or not multiples of 8 for generation."""
    problems = []
    for name in ("width", "height"):
        value = getattr(preset, name, None)
        if value is not None and (value > MAX_SIDE or value % 8):
            fit = min(MAX_SIDE, max(8, round(value / 8) * 8))
            problems.append(
                f"`{name}: {value}`: the service draws at most {MAX_SIDE} px, in multiples of 8; "
                f"use {fit} (and `upscale` for a bigger picture)"
            )
    return problems


def _as_int(value: Any, default: int | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_float(value: Any) -> float | None:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None
