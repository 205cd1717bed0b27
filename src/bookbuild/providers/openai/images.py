"""Image ops of the `openai` provider, through the SDK's Images API (`images.generate`,
`images.edit`) with a GPT image model.

- txt2img: generate at the model's size nearest the step's, then scale and centre-crop.
- img2img, controlnet: an edit of the input (or the reference) picture without a mask.
- inpaint, erase: an edit with a mask. OpenAI's masks are transparent where to edit and must
  have the image's size: bookbuild's mask (white = repaint) becomes alpha = 255 - L. GPT models
  treat a mask as guidance only, so the input's pixels outside the mask are pasted back.
- outpaint: the picture on a transparent grown canvas with a mask of the new area; the
  original is pasted back at its place.
- replace: an edit asking to replace what `search` names, everything else kept.
- remove_background: an edit with `background: transparent` (the model redraws the subject).
There is no seed; the result is pinned like any other, so rebuilds never call again.

Retries: only when the request was certainly not taken (429 other than insufficient_quota,
with its Retry-After; a connection that could not be opened). A dropped connection, a timeout
or a 5xx after sending may have produced (and billed) a picture: the step fails and nothing is
sent again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from io import BytesIO
from typing import Any, Protocol

from PIL import Image

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.fit import cover, keep_unmasked, paste_original, resized
from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import ImageRequest, ImageResult, RetryNotice
from bookbuild.providers.batch import BatchBook, BatchState
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.openai import batches, image_models, references
from bookbuild.providers.openai.options import IMAGE_OPTION_FIELDS, OpenAIOptions


class ImageCaller(Protocol):
    """What drawing needs of the provider (OpenAIChatProvider): its preset, SDK client, retry
    policy, how it words connection failures and hides the key, and the build's batches."""

    preset: OpenAIOptions
    retry: RetryPolicy
    on_retry: RetryNotice | None
    batch_book: BatchBook | None

    @property
    def batching(self) -> bool: ...

    def _client(self) -> Any: ...

    def base_url(self) -> str: ...

    def key_var(self) -> str: ...

    def _connection_failure(self, exc: Any) -> Any: ...

    def _redact(self, text: str) -> str: ...


IMAGE_OPS = frozenset(
    {"txt2img", "img2img", "inpaint", "outpaint", "remove_background", "controlnet", "erase"}
    | {"replace"}
)
MODERATION_ADVICE = (
    " — OpenAI's safety system refused the request; nothing was stored. Change the prompt or "
    "the picture and run make again"
)
ERASE_PROMPT = (
    "Remove what is in the transparent area and fill it so it matches its surroundings; "
    "change nothing else"
)
IMAGE_TIMEOUT = 300.0  # high-quality pictures take minutes; chat's 120 s would cut them off
DEFAULT_PROMPTS = {
    "outpaint": "Extend the picture into the transparent area, matching its style and content",
    "upscale": "the same picture",
}
CUTOUT_PROMPT = "The same picture with the background removed; keep the subject exactly as it is"


@dataclass
class ImageCall:
    """One Images API call: generate (no images) or edit."""

    params: dict[str, Any]
    images: list[bytes] = field(default_factory=list)
    mask: bytes | None = None
    sent: dict[str, Any] = field(default_factory=dict)  # the references (openai.references)


def preset_problems(preset: OpenAIOptions) -> list[str]:
    """What a GPT image preset cannot have: retired models, sizes and qualities the model does
    not take, chat fields."""
    model = str(preset.model)
    retired = image_models.retired_problem(model)
    if retired:
        return [retired]
    problems = []
    if preset.size is not None:
        problems.append(image_models.size_problem(model, preset.size) or "")
    if preset.quality is not None and preset.quality not in image_models.qualities(model):
        allowed = ", ".join(image_models.qualities(model))
        problems.append(f"quality `{preset.quality}` is not one {model} takes: use {allowed}")
    chat = sorted(
        n
        for n in ("temperature", "top_p", "max_tokens", "system")
        if getattr(preset, n) is not None
    )
    if chat:
        problems.append(f"{', '.join(chat)}: chat fields have no effect on the image model {model}")
    if preset.input_fidelity is not None and not references.takes_input_fidelity(model):
        problems.append(
            f"`input_fidelity` is not taken by {model} (the API refuses the request): remove it, "
            "or use a model that takes it, e.g. gpt-image-1.5"
        )
    unknown = sorted(set(preset.price or {}) - {"per_image"})
    if unknown:
        problems.append(f"unknown image price key(s) {', '.join(unknown)}: use per_image (USD)")
    return [p for p in problems if p]


def chat_preset_problems(preset: OpenAIOptions) -> list[str]:
    """Image fields on a chat model's preset have no effect."""
    given = sorted(n for n in IMAGE_OPTION_FIELDS if getattr(preset, n) is not None)
    if not given:
        return []
    return [
        f"{', '.join(given)}: image fields have no effect on the chat model {preset.model}; "
        "use a GPT image model (e.g. gpt-image-1.5) for pictures"
    ]


def forecast(preset: OpenAIOptions) -> float | None:
    """USD of one picture: the preset's `price: {per_image}`, else the token table."""
    if preset.price and "per_image" in preset.price:
        return float(preset.price["per_image"])
    return image_models.forecast(str(preset.model), preset.quality or "auto")


def run_image(provider: ImageCaller, request: ImageRequest) -> ImageResult:
    model = str(provider.preset.model or "")
    if not image_models.is_image_model(model):
        raise ConfigError(
            f"openai: `{model}` is not an image model; use a GPT image model such as "
            "gpt-image-1.5 in the image preset"
        )
    call = build_call(provider, request, model)
    call.sent = references.apply(call.params, call.images, request, provider.preset.input_fidelity)
    book = provider.batch_book
    if book is not None:  # a step in a batch: its answer, or still pending (BatchPending)
        found = batches.collected(provider, request.journal, request.step_id, book)
        if found is not None:
            return _from_batch(provider, request, call, *found)
        if provider.batching:
            endpoint, body = batches.image_line(call.params, call.images, call.mask)
            batches.enqueue(provider, request.step_id, endpoint, body, book, request.journal)
    response, request_id = send(provider, call, request.step_id)
    return _result(provider, request, call, response, request_id)


def _result(
    provider: ImageCaller, request: ImageRequest, call: ImageCall, response: Any, request_id: Any
) -> ImageResult:
    data = response.data[0].b64_json if response.data else None
    if not data:
        raise ProviderError("the answer holds no image", provider="openai", step_id=request.step_id)
    answer = decode_image(base64.b64decode(data), what="OpenAI's answer")
    image = finish(request, answer)
    return ImageResult(encode_png(image), metadata(provider, response, request_id, call))


def _from_batch(
    provider: ImageCaller,
    request: ImageRequest,
    call: ImageCall,
    state: BatchState,
    body: dict[str, Any],
) -> ImageResult:
    """The picture of the step's line in a finished batch, its cost at the batch price."""
    from openai.types import ImagesResponse

    request_id = batches.request_id_of(body)
    try:
        result = _result(provider, request, call, ImagesResponse.model_validate(body), request_id)
    except (ProviderError, ValueError) as exc:  # an unusable answer is not cached
        request.journal.forget()
        if isinstance(exc, ProviderError):
            raise
        raise ProviderError(
            f"batch {state.id}: the answer is not a picture ({exc})",
            provider="openai",
            step_id=request.step_id,
        ) from None
    return replace(result, metadata=batches.discounted(dict(result.metadata), state))


def build_call(provider: ImageCaller, request: ImageRequest, model: str) -> ImageCall:
    preset = provider.preset
    prompt = request.prompt or DEFAULT_PROMPTS.get(request.op, "the same picture")
    if request.negative_prompt:
        prompt = f"{prompt}\nAvoid: {request.negative_prompt}"
    params: dict[str, Any] = {"model": model, "prompt": prompt, "n": 1, "output_format": "png"}
    for name in ("quality", "background", "input_fidelity", "moderation"):
        value = getattr(preset, name)
        if value is not None:
            params[name] = value
    params["size"] = preset.size or image_models.api_size(model, request.width, request.height)
    op = request.op
    if op == "txt2img":
        params.pop("input_fidelity", None)
        return ImageCall(params)
    params.pop("moderation", None)  # generate only
    if op == "controlnet":
        return ImageCall(params, [_needed(request.control_image, "a reference picture")])
    image = _needed(request.image, "an input image")
    if op == "img2img":
        return ImageCall(params, [image])
    if op == "replace":
        search = request.params.get("search", "")
        params["prompt"] = f"Replace {search} with {request.prompt}; change nothing else."
        return ImageCall(params, [image])
    if op == "remove_background":
        params.update(prompt=CUTOUT_PROMPT, background="transparent")
        return ImageCall(params, [image])
    if op == "outpaint":
        canvas, mask = grown_canvas(image, request.params)
        return ImageCall(params, [canvas], mask)
    if op == "erase":
        params["prompt"] = ERASE_PROMPT
    return ImageCall(params, [image], alpha_mask(_needed(request.mask, "a mask")))


def alpha_mask(mask_png: bytes) -> bytes:
    """bookbuild's mask (L, white = repaint) as OpenAI's: RGBA, alpha 0 where to edit."""
    mask = decode_image(mask_png, what="mask").convert("L")
    rgba = Image.new("RGBA", mask.size, (0, 0, 0, 255))
    rgba.putalpha(mask.point(lambda value: 255 - value))
    return _png(rgba)


def grown_canvas(image_png: bytes, params: Any) -> tuple[bytes, bytes]:
    """The picture on a transparent grown canvas, and the OpenAI mask of the new area."""
    original = decode_image(image_png, what="input image").convert("RGBA")
    left, right, up, down = (int(params.get(s, 0)) for s in ("left", "right", "up", "down"))
    size = (original.width + left + right, original.height + up + down)
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(original, (left, up))
    keep = Image.new("L", size, 0)
    keep.paste(255, (left, up, left + original.width, up + original.height))
    mask = Image.new("RGBA", size, (0, 0, 0, 0))
    mask.putalpha(keep)
    return _png(canvas), _png(mask)


def finish(request: ImageRequest, answer: Image.Image) -> Image.Image:
    """The answer at the step's size, with the author's pixels kept outside the edit."""
    if request.op in ("txt2img", "img2img", "controlnet"):
        return cover(answer, (request.width, request.height))
    original = decode_image(_needed(request.image, "an input image"), what="input image")
    if request.op in ("inpaint", "erase"):
        mask = decode_image(_needed(request.mask, "a mask"), what="mask")
        return keep_unmasked(answer, original, mask)
    if request.op == "outpaint":
        p = request.params
        left, right, up, down = (int(p.get(s, 0)) for s in ("left", "right", "up", "down"))
        grown = (original.width + left + right, original.height + up + down)
        return paste_original(resized(answer, grown), original, (left, up))
    return resized(answer, original.size)


def send(provider: ImageCaller, call: ImageCall, step_id: str) -> tuple[Any, str | None]:
    """The Images API call with the retries of the module docstring."""
    import openai

    from bookbuild.providers.openai.failures import status_failure

    client = provider._client()
    attempt = 0
    while True:
        attempt += 1
        try:
            raw = _call_api(client, call, provider.preset.timeout or IMAGE_TIMEOUT)
            return raw.parse(), raw.headers.get("x-request-id")
        except openai.APIStatusError as exc:
            failure = status_failure(exc)
            retry = failure.status == 429 and failure.code != "insufficient_quota"
        except openai.APIConnectionError as exc:
            failure = provider._connection_failure(exc)
            retry = _never_connected(exc)
        wait = provider.retry.wait(attempt, failure.retry_after) if retry else None
        if wait is None:
            raise _error(provider, failure, step_id, sent=not retry) from None
        if provider.on_retry is not None:
            provider.on_retry(failure.reason, attempt, wait)
        provider.retry.sleep(wait)


def _call_api(client: Any, call: ImageCall, timeout: float) -> Any:
    """images.generate without input pictures, else images.edit (multipart)."""
    if not call.images:
        return client.images.with_raw_response.generate(**call.params, timeout=timeout)
    files = [(f"image-{n}.png", data, "image/png") for n, data in enumerate(call.images)]
    edit: dict[str, Any] = {**call.params, "image": files[0] if len(files) == 1 else files}
    if call.mask is not None:
        edit["mask"] = ("mask.png", call.mask, "image/png")
    return client.images.with_raw_response.edit(**edit, timeout=timeout)


def _error(provider: ImageCaller, failure: Any, step_id: str, *, sent: bool) -> ProviderError:
    message = provider._redact(failure.message)
    if failure.code == "moderation_blocked":
        message += MODERATION_ADVICE
    elif failure.status is None or failure.status >= 500:
        message += (
            " — the request may have reached OpenAI and produced (and billed) a picture, so it "
            "was not sent again; run make again to try once more"
        )
    elif failure.status == 404:
        message += f" — check the preset's `model` ({provider.preset.model})"
    return ProviderError(
        message,
        provider="openai",
        step_id=step_id,
        transient=failure.status is None or failure.status in (429,) or failure.status >= 500,
        status=failure.status,
        retry_after=failure.retry_after,
    )


def metadata(
    provider: ImageCaller, response: Any, request_id: str | None, call: ImageCall
) -> dict[str, Any]:
    usage = response.usage
    model = str(call.params["model"])
    found: dict[str, Any] = {
        "provider": "openai",
        "model": model,
        "size": response.size or call.params.get("size"),
        "quality": response.quality or call.params.get("quality", "auto"),
        "request_id": request_id,
        "seed": None,
    }
    found.update(call.sent)
    revised = response.data[0].revised_prompt if response.data else None
    if revised:
        found["revised_prompt"] = revised
    if usage is not None:
        details = usage.input_tokens_details
        text_in = details.text_tokens if details else usage.input_tokens
        image_in = details.image_tokens if details else 0
        found["usage"] = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }
        price = image_models.TOKEN_PRICES.get(model)
        if price is not None:
            found["cost"] = round(price.cost(text_in, image_in, usage.output_tokens), 6)
    if "cost" not in found:
        per_image = forecast(provider.preset)
        found["cost"] = per_image if per_image is not None else 0.0
        found["price_known"] = per_image is not None
    else:
        found["price_known"] = True
    return found


def _png(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _needed(data: bytes | None, what: str) -> bytes:
    if data is None:
        raise ProviderError(f"this op needs {what}", provider="openai")
    return data


def _never_connected(exc: Exception) -> bool:
    """True when the connection could not be opened, so the request never left."""
    cause = exc.__cause__
    return type(cause).__name__ in ("ConnectError", "ConnectTimeout")
