"""The built-in `offline` provider: free, instant, deterministic drafts, no network.

`bookbuild make --draft` routes every model call here. Text comes from small phrase tables
(text), pictures are painted with Pillow (paint), and edits are really done
(image): masks applied, canvases grown, images resampled, backgrounds cut out.
Everything is derived from the request, so the same request always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.graph.ops import CHAT_OPS
from bookbuild.media.images import check_pixels, decode_image
from bookbuild.providers.base import (
    ChatRequest,
    ChatResult,
    ImageRequest,
    ImageResult,
    Provider,
)
from bookbuild.providers.offline import image as ops
from bookbuild.providers.offline import retouch
from bookbuild.providers.offline.draftmark import MARK_VERSION, mark_draft
from bookbuild.providers.offline.figures import draw_cast
from bookbuild.providers.offline.paint import paint_placeholder
from bookbuild.providers.offline.text import (
    describe_json,
    estimate_tokens,
    summarize_text,
    write_text,
)
from bookbuild.spec.presets import ChatAndImagePreset

MODEL = "offline-draft"
DEFAULT_STRENGTH = {"img2img": 0.5, "inpaint": 1.0}
CAST_OPS = frozenset({"txt2img", "img2img", "controlnet"})  # the ops that draw a whole picture


class OfflineOptions(ChatAndImagePreset):
    """An offline preset: every chat and image field is accepted (and none costs anything)."""


class OfflineProvider(Provider[OfflineOptions]):
    """Deterministic local stand-in for every chat and image model."""

    name: ClassVar[str] = "offline"
    ops: ClassVar[frozenset[str]] = frozenset()  # every chat op and each op of _HANDLERS, below
    Options = OfflineOptions
    local: ClassVar[bool] = True

    def complete(self, request: ChatRequest) -> ChatResult:
        seed = request.seed or 0
        names = [member.name for member in request.cast]
        if request.task == "write":
            text = write_text(request.brief, request.language, seed, names)
        elif request.task == "describe":
            cast = [(member.id, member.name) for member in request.cast]
            alt = request.language if request.alt else None
            text = describe_json(request.brief, request.source_text, seed, cast, alt)
        else:
            text = summarize_text(request.source_text, request.language)
        metadata = {"provider": self.name, "model": MODEL, "tokens": estimate_tokens(text)}
        return ChatResult(text, metadata)

    def run_image(self, request: ImageRequest) -> ImageResult:
        handler = _HANDLERS.get(request.op)
        if handler is None:
            raise self._fail(request, f"unknown image op {request.op!r}")
        image = handler(self, request)
        if request.op in CAST_OPS and request.characters:
            image = draw_cast(image, [(c.id, c.name) for c in request.characters])
        image = mark_draft(image)  # every picture says it is a draft
        metadata = {
            "provider": self.name,
            "model": MODEL,
            "seed": request.seed,
            "op": request.op,
            "width": image.width,
            "height": image.height,
            "draft_mark": MARK_VERSION,
        }
        if request.characters:
            metadata["characters"] = [c.id for c in request.characters]
        return ImageResult.of_image(image, metadata)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        return 0.0

    # -- one method per op ---------------------------------------------------------------
    def _txt2img(self, request: ImageRequest) -> Image.Image:
        size = (request.width, request.height)
        if size[0] < 1 or size[1] < 1:
            raise self._fail(request, f"width and height must be positive, got {size}")
        check_pixels(size, what=f"{request.step_id or 'txt2img'} size")
        return paint_placeholder(request.prompt, request.seed, size)

    def _img2img(self, request: ImageRequest) -> Image.Image:
        source = self._input(request, "image")
        return ops.img2img(source, request.prompt, request.seed, self._strength(request))

    def _controlnet(self, request: ImageRequest) -> Image.Image:
        control = self._input(request, "control_image", fallback="image")
        settings = request.params.get("controlnet")
        scale = settings.get("strength", 1.0) if isinstance(settings, Mapping) else 1.0
        size = (request.width, request.height)
        return ops.controlnet(control, request.prompt, request.seed, size, float(scale))

    def _inpaint(self, request: ImageRequest) -> Image.Image:
        source = self._input(request, "image")
        mask = self._input(request, "mask")
        strength = self._strength(request)
        return ops.inpaint(source, mask, request.prompt, request.seed, strength)

    def _outpaint(self, request: ImageRequest) -> Image.Image:
        source = self._input(request, "image")
        margins = outpaint_margins(request.params, source.size, (request.width, request.height))
        if not any(margins):
            raise self._fail(request, "outpaint needs left, right, up or down > 0")
        return ops.outpaint(source, request.prompt, request.seed, margins)

    def _upscale(self, request: ImageRequest) -> Image.Image:
        source = self._input(request, "image")
        scale = request.params.get("scale", 2)
        if not isinstance(scale, int | float) or int(scale) != scale or not 2 <= scale <= 4:
            raise self._fail(request, f"upscale scale must be 2, 3 or 4, got {scale!r}")
        return ops.upscale(source, int(scale))

    def _remove_background(self, request: ImageRequest) -> Image.Image:
        return ops.remove_background(self._input(request, "image"))

    def _erase(self, request: ImageRequest) -> Image.Image:
        return retouch.erase(self._input(request, "image"), self._input(request, "mask"))

    def _replace(self, request: ImageRequest) -> Image.Image:
        source = self._input(request, "image")
        search = str(request.params.get("search", ""))
        return retouch.replace(source, search, request.prompt, request.seed)

    # -- helpers --------------------------------------------------------------------------
    def _input(self, request: ImageRequest, role: str, fallback: str | None = None) -> Image.Image:
        data: bytes | None = getattr(request, role)
        if data is None and fallback is not None:
            data = getattr(request, fallback)
        if data is None:
            raise self._fail(request, f"{request.op} needs an input {role.replace('_', ' ')}")
        return decode_image(data, what=f"{request.step_id or request.op} {role}")

    @staticmethod
    def _strength(request: ImageRequest) -> float:
        if request.strength is None:
            return DEFAULT_STRENGTH.get(request.op, 0.5)
        return max(0.0, min(1.0, float(request.strength)))

    def _fail(self, request: ImageRequest, message: str) -> ProviderError:
        return ProviderError(message, provider=self.name, step_id=request.step_id)


def outpaint_margins(
    params: Mapping[str, Any], size: tuple[int, int], target: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(left, up, right, down) px to add: from params, else centred growth to a larger target."""
    given = [int(params.get(side, 0) or 0) for side in ("left", "up", "right", "down")]
    if any(given):
        left, up, right, down = (max(0, v) for v in given)
        return left, up, right, down
    extra_w, extra_h = max(0, target[0] - size[0]), max(0, target[1] - size[1])
    return extra_w // 2, extra_h // 2, extra_w - extra_w // 2, extra_h - extra_h // 2


_HANDLERS: dict[str, Callable[[OfflineProvider, ImageRequest], Image.Image]] = {
    "txt2img": OfflineProvider._txt2img,
    "img2img": OfflineProvider._img2img,
    "controlnet": OfflineProvider._controlnet,
    "inpaint": OfflineProvider._inpaint,
    "outpaint": OfflineProvider._outpaint,
    "upscale": OfflineProvider._upscale,
    "remove_background": OfflineProvider._remove_background,
    "erase": OfflineProvider._erase,
    "replace": OfflineProvider._replace,
}

OfflineProvider.ops = CHAT_OPS | frozenset(_HANDLERS)
