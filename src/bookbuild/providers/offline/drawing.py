"""The offline provider's pictures: one function per image op, from an `ImageRequest` to the
finished picture (cast figures drawn, the draft mark stamped) and its PNG bytes.

Pure and deterministic (everything comes from the request), and importable without the
provider, so that worker processes (`workers`) can draw as the provider's own threads do: the
same request gives the same bytes wherever it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.media.draftpng import encode_draft_png
from bookbuild.media.images import check_pixels, decode_image
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.offline import image as ops
from bookbuild.providers.offline import retouch
from bookbuild.providers.offline.draftmark import mark_draft
from bookbuild.providers.offline.figures import draw_cast
from bookbuild.providers.offline.paint import paint_placeholder

NAME = "offline"
DEFAULT_STRENGTH = {"img2img": 0.5, "inpaint": 1.0}
CAST_OPS = frozenset({"txt2img", "img2img", "controlnet"})  # the ops that draw a whole picture


@dataclass(frozen=True)
class Drawn:
    """A finished offline picture: its PNG bytes (bookbuild's draft encoding) and size."""

    png: bytes
    width: int
    height: int


def draw(request: ImageRequest) -> Drawn:
    """Run the request's op, draw its cast, stamp the draft mark, encode it (ProviderError for
    a request the offline provider cannot do)."""
    handler = _HANDLERS.get(request.op)
    if handler is None:
        raise _fail(request, f"unknown image op {request.op!r}")
    image = handler(request)
    if request.op in CAST_OPS and request.characters:
        image = draw_cast(image, [(c.id, c.name) for c in request.characters])
    image = mark_draft(image)  # every picture says it is a draft
    return Drawn(encode_draft_png(image), image.width, image.height)


# -- one function per op -------------------------------------------------------------------
def _txt2img(request: ImageRequest) -> Image.Image:
    size = (request.width, request.height)
    if size[0] < 1 or size[1] < 1:
        raise _fail(request, f"width and height must be positive, got {size}")
    check_pixels(size, what=f"{request.step_id or 'txt2img'} size")
    return paint_placeholder(request.prompt, request.seed, size)


def _img2img(request: ImageRequest) -> Image.Image:
    source = _input(request, "image")
    return ops.img2img(source, request.prompt, request.seed, _strength(request))


def _controlnet(request: ImageRequest) -> Image.Image:
    control = _input(request, "control_image", fallback="image")
    settings = request.params.get("controlnet")
    scale = settings.get("strength", 1.0) if isinstance(settings, Mapping) else 1.0
    size = (request.width, request.height)
    return ops.controlnet(control, request.prompt, request.seed, size, float(scale))


def _inpaint(request: ImageRequest) -> Image.Image:
    source = _input(request, "image")
    mask = _input(request, "mask")
    strength = _strength(request)
    return ops.inpaint(source, mask, request.prompt, request.seed, strength)


def _outpaint(request: ImageRequest) -> Image.Image:
    source = _input(request, "image")
    margins = outpaint_margins(request.params, source.size, (request.width, request.height))
    if not any(margins):
        raise _fail(request, "outpaint needs left, right, up or down > 0")
    return ops.outpaint(source, request.prompt, request.seed, margins)


def _upscale(request: ImageRequest) -> Image.Image:
    source = _input(request, "image")
    scale = request.params.get("scale", 2)
    if not isinstance(scale, int | float) or int(scale) != scale or not 2 <= scale <= 4:
        raise _fail(request, f"upscale scale must be 2, 3 or 4, got {scale!r}")
    return ops.upscale(source, int(scale))


def _remove_background(request: ImageRequest) -> Image.Image:
    return ops.remove_background(_input(request, "image"))


def _erase(request: ImageRequest) -> Image.Image:
    return retouch.erase(_input(request, "image"), _input(request, "mask"))


def _replace(request: ImageRequest) -> Image.Image:
    source = _input(request, "image")
    search = str(request.params.get("search", ""))
    return retouch.replace(source, search, request.prompt, request.seed)


def _input(request: ImageRequest, role: str, fallback: str | None = None) -> Image.Image:
    data: bytes | None = getattr(request, role)
    if data is None and fallback is not None:
        data = getattr(request, fallback)
    if data is None:
        raise _fail(request, f"{request.op} needs an input {role.replace('_', ' ')}")
    return decode_image(data, what=f"{request.step_id or request.op} {role}")


def _strength(request: ImageRequest) -> float:
    if request.strength is None:
        return DEFAULT_STRENGTH.get(request.op, 0.5)
    return max(0.0, min(1.0, float(request.strength)))


def _fail(request: ImageRequest, message: str) -> ProviderError:
    return ProviderError(message, provider=NAME, step_id=request.step_id)


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


_HANDLERS: dict[str, Callable[[ImageRequest], Image.Image]] = {
    "txt2img": _txt2img,
    "img2img": _img2img,
    "controlnet": _controlnet,
    "inpaint": _inpaint,
    "outpaint": _outpaint,
    "upscale": _upscale,
    "remove_background": _remove_background,
    "erase": _erase,
    "replace": _replace,
}
OPS = frozenset(_HANDLERS)
