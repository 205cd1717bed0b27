"""Outpainting on the Stable Diffusion API, exact on every API family, through inpainting.

The service's own outpaint endpoint only takes a target canvas size and places the original
where it likes, so "add 200 px on the left" cannot be asked of it. Instead the picture is padded
here to the new canvas, the original's pixels exactly at (left, up) and the new area pre-filled
by mirroring the picture across its edges (the model gets context, not a flat colour), and a
mask is made that is white (repaint) on the new area, black on the original, with a short
feathered overlap into the original for a seamless join. The family's inpaint endpoint then
repaints only the new area.

Those endpoints take at most 1024 px a side: a larger canvas is sent scaled down (aspect kept,
sides a multiple of 8) and the result is scaled back up to the exact canvas with LANCZOS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from bookbuild.errors import ProviderError

MAX_SIDE = 1024
"""The inpaint endpoints' limit on width and height."""
DEFAULT_OVERLAP = 8
"""Pixels of the original, next to the new area, that the mask lets the model blend (feathered)."""


@dataclass(frozen=True)
class Margins:
    """Pixels added on each side."""

    left: int
    up: int
    right: int
    down: int

    def scaled(self, sx: float, sy: float) -> Margins:
        """Scaled, rounded up so the new area stays fully covered."""
        return Margins(
            math.ceil(self.left * sx),
            math.ceil(self.up * sy),
            math.ceil(self.right * sx),
            math.ceil(self.down * sy),
        )


@dataclass(frozen=True)
class Outpaint:
    """What is sent for one outpaint: the padded picture and its mask (both of size `sent`), and
    the exact canvas the result is brought back to."""

    image: Image.Image
    mask: Image.Image
    canvas: tuple[int, int]  # the exact size asked for
    sent: tuple[int, int]
    full: tuple[int, int]  # the canvas grown right/down to multiples of 8

    @property
    def scaled(self) -> bool:
        return self.sent != self.full


def margins_of(
    params: Mapping[str, Any], size: tuple[int, int], target: tuple[int, int]
) -> Margins:
    """The pixels to add: params left/right/up/down, else centred growth to a larger target."""
    given = [max(0, int(params.get(side, 0) or 0)) for side in ("left", "up", "right", "down")]
    if any(given):
        return Margins(*given)
    extra_w, extra_h = max(0, target[0] - size[0]), max(0, target[1] - size[1])
    return Margins(extra_w // 2, extra_h // 2, extra_w - extra_w // 2, extra_h - extra_h // 2)


def prepare(
    picture: Image.Image,
    params: Mapping[str, Any],
    target: tuple[int, int],
    limit: int = MAX_SIDE,
) -> Outpaint:
    """The padded picture and mask to send through an inpaint endpoint."""
    margins = margins_of(params, picture.size, target)
    if not any((margins.left, margins.up, margins.right, margins.down)):
        raise ProviderError("outpaint needs left, right, up or down > 0", provider="sdapi")
    if picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGB")
    overlap = max(0, int(params.get("overlap", DEFAULT_OVERLAP)))
    asked = margins
    canvas = (picture.width + asked.left + asked.right, picture.height + asked.up + asked.down)
    margins = Margins(  # the service wants sides divisible by 8: grow, paint, crop back later
        asked.left, asked.up, asked.right + (-canvas[0]) % 8, asked.down + (-canvas[1]) % 8
    )
    padded = pad(picture, margins)
    full = padded.size
    sent = fit(full, limit)
    if sent == full:
        return Outpaint(padded, new_area_mask(full, margins, overlap, asked), canvas, sent, full)
    sx, sy = sent[0] / full[0], sent[1] / full[1]
    small = padded.resize(sent, Image.Resampling.LANCZOS)
    overlap = round(overlap * min(sx, sy))
    mask = new_area_mask(sent, margins.scaled(sx, sy), overlap, asked)
    return Outpaint(small, mask, canvas, sent, full)


def restore(result: Image.Image, outpaint: Outpaint) -> Image.Image:
    """The service's result at the exact canvas size: scaled back up if it was sent smaller,
    then cropped to the size asked for (the multiple-of-8 extra is dropped)."""
    full = outpaint.full
    if result.size != full:
        if result.mode not in ("RGB", "RGBA", "L"):
            result = result.convert("RGBA" if "A" in result.getbands() else "RGB")
        result = result.resize(full, Image.Resampling.LANCZOS)
    if result.size == outpaint.canvas:
        return result
    return result.crop((0, 0, *outpaint.canvas))


def fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """`size` if both sides are within `limit`, else scaled down to fit (aspect kept, each side
    rounded down to a multiple of 8, as the service wants)."""
    width, height = size
    if max(width, height) <= limit:
        return size
    scale = limit / max(width, height)
    return max(8, int(width * scale) // 8 * 8), max(8, int(height * scale) // 8 * 8)


def pad(picture: Image.Image, margins: Margins) -> Image.Image:
    """`picture` on the grown canvas at (left, up); the new area mirrored from its edges (and,
    beyond the picture's own width or height, its outermost row or column repeated)."""
    wide = _pad_columns(picture, margins.left, margins.right)
    tall = _pad_columns(wide.transpose(Image.Transpose.TRANSPOSE), margins.up, margins.down)
    return tall.transpose(Image.Transpose.TRANSPOSE)


def new_area_mask(
    size: tuple[int, int], margins: Margins, overlap: int, asked: Margins | None = None
) -> Image.Image:
    """8-bit mask of `size`: 255 on the added margins; inside the original, a ramp of `overlap`
    pixels along each side the user grew (`asked`, default `margins`), fading from below 255 to
    0; 0 everywhere else (a side grown only to reach a multiple of 8 gets no ramp)."""
    ramp = asked or margins
    width, height = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    x0, y0 = margins.left, margins.up
    x1, y1 = width - margins.right - 1, height - margins.down - 1
    overlap = max(0, min(overlap, (x1 - x0 + 1) // 4, (y1 - y0 + 1) // 4))
    for depth in reversed(range(overlap)):  # innermost first, so corners keep the higher value
        value = round(255 * (overlap - depth) / (overlap + 1))
        if ramp.left:
            draw.line([(x0 + depth, y0), (x0 + depth, y1)], fill=value)
        if ramp.right:
            draw.line([(x1 - depth, y0), (x1 - depth, y1)], fill=value)
        if ramp.up:
            draw.line([(x0, y0 + depth), (x1, y0 + depth)], fill=value)
        if ramp.down:
            draw.line([(x0, y1 - depth), (x1, y1 - depth)], fill=value)
    for grown, box in (
        (margins.left, (0, 0, x0 - 1, height - 1)),
        (margins.right, (x1 + 1, 0, width - 1, height - 1)),
        (margins.up, (0, 0, width - 1, y0 - 1)),
        (margins.down, (0, y1 + 1, width - 1, height - 1)),
    ):
        if grown:
            draw.rectangle(box, fill=255)
    return mask


def _pad_columns(picture: Image.Image, before: int, after: int) -> Image.Image:
    """`picture` with `before` columns added on the left and `after` on the right."""
    width, height = picture.size
    out = Image.new(picture.mode, (before + width + after, height))
    out.paste(picture, (before, 0))
    if before:
        out.paste(_reflection(picture, before, at_start=True), (0, 0))
    if after:
        out.paste(_reflection(picture, after, at_start=False), (before + width, 0))
    return out


def _reflection(picture: Image.Image, columns: int, *, at_start: bool) -> Image.Image:
    """`columns` columns mirrored across the picture's left (`at_start`) or right edge."""
    width, height = picture.size
    taken = min(columns, width)
    box = (0, 0, taken, height) if at_start else (width - taken, 0, width, height)
    mirrored = picture.crop(box).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if taken == columns:
        return mirrored
    strip = Image.new(picture.mode, (columns, height))
    outer = 0 if at_start else taken - 1  # the mirrored column farthest from the picture
    edge = mirrored.crop((outer, 0, outer + 1, height))
    repeated = edge.resize((columns - taken, height), Image.Resampling.NEAREST)
    if at_start:
        strip.paste(repeated, (0, 0))
        strip.paste(mirrored, (columns - taken, 0))
    else:
        strip.paste(mirrored, (0, 0))
        strip.paste(repeated, (taken, 0))
    return strip
