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

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

from PIL import Image

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import encode_png
from bookbuild.media.outpaint import Outpaint, prepare, restore
from bookbuild.providers.base import (
    ImageRequest,
    ImageResult,
    JobJournal,
    Provider,
    RetryNotice,
)
from bookbuild.providers.sdapi.bodies import Inputs, build_body
from bookbuild.providers.sdapi.client import SDAPIHttp
from bookbuild.providers.sdapi.images import (
    SAFETY_ADVICE,
    data_url,
    decode_output,
    is_blank,
    mask_png,
    read_input,
    sniff_format,
)
from bookbuild.providers.sdapi.jobs import (
    DEFAULT_DEADLINE,
    Job,
    Poller,
    eta_of,
    output_urls,
    pick_meta,
)
from bookbuild.providers.sdapi.options import SDAPIOptions
from bookbuild.providers.sdapi.paths import (
    COMMUNITY,
    DEFAULT_BASE_URL,
    LEGACY_UPLOAD,
    Family,
    endpoint,
    resolve_family,
    upload_endpoint,
)

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
    base_url_env: ClassVar[str | None] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        preset: SDAPIOptions,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._uploads: dict[str, str] = {}
        self._upload_locks: dict[str, threading.Lock] = {}
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
        if preset.base_url and not preset.base_url.startswith(("https://", "http://")):
            problems.append("`base_url` must start with https:// (or http:// for a local server)")
        return problems

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        if kind != "image":
            return 0.0
        return float((self.preset.price or {}).get("per_image", DEFAULT_PRICE_PER_IMAGE))

    def run_image(self, request: ImageRequest) -> ImageResult:
        self.check_ready()
        if request.op not in self.ops:
            raise ConfigError(f"sdapi: unknown image op {request.op!r}")
        try:
            return self._run(request)
        except ProviderError as err:
            err.step_id = err.step_id or request.step_id
            raise

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # -- one op, start to end -------------------------------------------------------------

    def _run(self, request: ImageRequest) -> ImageResult:
        http = self._client()
        pending = request.journal.pending()
        job = Job.from_journal(pending) if pending else None
        uploads = 0
        outpaint = self._outpaint(request) if request.op == "outpaint" else None
        with _forget_on_failure(request.journal):
            if job is not None:
                log.debug("resuming queued job %s", job.id)
                answer = self._poller(http).wait(job, eta=None)
            else:
                job, answer, uploads = self._submit(http, request, outpaint)
            image = self._collect(http, answer, job, request.op)
        request.journal.forget()
        if outpaint is not None:
            image = restore(image, outpaint)
        metadata = self._metadata(request, job, answer, image, uploads)
        if outpaint is not None:
            metadata.update(outpaint_via="inpaint", canvas=list(outpaint.canvas))
            if outpaint.scaled:
                metadata["sent_size"] = list(outpaint.sent)
        return ImageResult.of_image(image, metadata)

    def _outpaint(self, request: ImageRequest) -> Outpaint:
        """The padded picture and mask of an outpaint (see `bookbuild.media.outpaint`)."""
        if request.image is None:
            raise ProviderError("outpaint needs an input image", provider="sdapi")
        picture = read_input(request.image, "input image")
        return prepare(picture, request.params, (request.width, request.height))

    def _submit(
        self, http: SDAPIHttp, request: ImageRequest, outpaint: Outpaint | None
    ) -> tuple[Job, dict[str, Any], int]:
        """Upload, submit, and wait if queued: (job, success answer, uploads made)."""
        family = resolve_family(self.preset)
        path = endpoint(family, request.op)
        if outpaint is not None:
            inputs, uploads = self._upload_outpaint(http, family, outpaint)
        else:
            inputs, uploads = self._upload_inputs(http, family, request)
        body = build_body(request.op, family, path, self.preset, request, inputs)
        log.debug("submit %s with fields %s", path, ", ".join(sorted(body)))
        answer = http.post(path, body)
        status = http.check(answer)
        job = Job.from_answer(answer, family, path)
        if status == "processing":
            if not job.fetch_result:
                raise ProviderError("the service queued the job without an id", provider="sdapi")
            request.journal.remember(job.to_journal())
            log.debug("job %s queued, eta %s s", job.id, answer.get("eta"))
            answer = self._poller(http).wait(job, eta_of(answer))
        return job, answer, uploads

    def _collect(self, http: SDAPIHttp, answer: dict[str, Any], job: Job, op: str) -> Image.Image:
        """Download the result at once (links expire) and check it."""
        if str(answer.get("nsfw_content_detected", "")).lower() in ("true", "yes", "1"):
            raise ProviderError(f"{SAFETY_ADVICE} (nsfw_content_detected)", provider="sdapi")
        found = output_urls(answer)
        candidates = [(u, False) for u in found]
        candidates += [(u, True) for u in job.future_links if u not in found]
        if not candidates:
            raise ProviderError("the service reported success but sent no image", provider="sdapi")
        errors: list[ProviderError] = []
        for url, future in candidates:
            try:
                data = http.download(url, retry_missing=future)
            except ProviderError as err:
                errors.append(err)
                continue
            image = decode_output(data, url)
            if op != "remove_background" and is_blank(image):
                raise ProviderError(SAFETY_ADVICE, provider="sdapi")
            return image
        raise next((e for e in errors if e.transient), errors[-1])

    # -- uploads --------------------------------------------------------------------------

    def _upload_inputs(
        self, http: SDAPIHttp, family: Family, request: ImageRequest
    ) -> tuple[Inputs, int]:
        """Upload the init image, mask and control image; (their URLs, uploads made)."""
        fresh: list[bool] = []

        def upload(png: bytes) -> str:
            url, is_new = self._upload(http, family, png)
            fresh.append(is_new)
            return url

        init = mask = control = None
        size: tuple[int, int] | None = None
        if request.image is not None:
            picture = read_input(request.image, "input image")
            size = picture.size
            png = request.image if sniff_format(request.image) == "PNG" else encode_png(picture)
            init = upload(png)
        if request.mask is not None:
            if size is None:
                raise ProviderError(f"{request.op}: a mask needs an input image", provider="sdapi")
            mask = upload(mask_png(request.mask, size))
        if request.control_image is not None:
            reference = read_input(request.control_image, "control image")
            control = upload(encode_png(reference))
        return Inputs(init, mask, control, size), sum(fresh)

    def _upload_outpaint(
        self, http: SDAPIHttp, family: Family, outpaint: Outpaint
    ) -> tuple[Inputs, int]:
        """Upload the padded picture and its mask; (their URLs, uploads made)."""
        init, fresh_init = self._upload(http, family, encode_png(outpaint.image))
        mask, fresh_mask = self._upload(http, family, encode_png(outpaint.mask))
        return Inputs(init, mask, None, outpaint.sent), fresh_init + fresh_mask

    def _upload(self, http: SDAPIHttp, family: Family, png: bytes) -> tuple[str, bool]:
        """The hosted URL of `png` (uploaded once per content per provider instance, also when
        two steps send the same picture or mask at the same time: the second waits)."""
        digest = hashlib.sha256(png).hexdigest()
        with self._guard:
            same_content = self._upload_locks.setdefault(digest, threading.Lock())
        with same_content:
            with self._guard:
                cached = self._uploads.get(digest)
            if cached is not None:
                return cached, False
            url = self._post_upload(http, family, png)
            with self._guard:
                self._uploads[digest] = url
        log.debug("uploaded an input image (%d bytes)", len(png))
        return url, True

    @staticmethod
    def _post_upload(http: SDAPIHttp, family: Family, png: bytes) -> str:
        path = upload_endpoint(family)
        if path == LEGACY_UPLOAD:
            body: dict[str, Any] = {"image": data_url(png), "crop": "false"}
        else:
            body = {"init_image": data_url(png)}
        return _uploaded_url(http, http.post(path, body))

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


def _uploaded_url(http: SDAPIHttp, answer: dict[str, Any]) -> str:
    link = answer.get("link")
    if isinstance(link, str) and link:
        return link
    http.check(answer)
    urls = output_urls(answer)
    if not urls:
        raise ProviderError("the image upload answered without a link", provider="sdapi")
    return urls[0]


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
