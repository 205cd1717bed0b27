"""Pictures on their way to and from ComfyUI: content-derived upload names, our mask (white =
repaint) turned into ComfyUI's (alpha 0 = repaint, what LoadImage's MASK output reads as
1 − alpha), sizes, and the outpaint canvas grown to multiples of 8 and cropped back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PIL import Image, ImageChops

from bookbuild.media.images import decode_image, encode_png

LATENT_MULTIPLE = 8
"""Latents are 1/8 of the picture: ComfyUI's canvases are multiples of 8 pixels."""


def upload_name(kind: str, *parts: bytes) -> str:
    """A file name made from the content, so the same bytes always get the same name (and an
    upload that is repeated overwrites the same file with the same bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return f"bookbuild-{kind}-{digest.hexdigest()[:24]}.png"


def alpha_mask(mask_png: bytes) -> bytes:
    """Our mask (L, 255 = repaint) as an RGBA PNG whose alpha is 0 where to repaint: what
    /upload/mask copies into the picture for LoadImage (MASK = 1 − alpha)."""
    mask = decode_image(mask_png, what="mask").convert("L")
    layer = Image.new("RGBA", mask.size, (0, 0, 0, 255))
    layer.putalpha(ImageChops.invert(mask))
    return encode_png(layer)


def resized(png: bytes, size: tuple[int, int], what: str) -> bytes:
    """The picture at `size` (unchanged bytes if it already is)."""
    image = decode_image(png, what=what)
    if image.size == size:
        return png
    return encode_png(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))


def as_rgb_png(png: bytes, what: str) -> bytes:
    image = decode_image(png, what=what)
    return png if image.mode == "RGB" else encode_png(image.convert("RGB"))


@dataclass(frozen=True)
class Outpaint:
    """Padding for ImagePadForOutpaint: what the spec asked, plus what right/down need so the
    canvas is a multiple of 8; `crop` is the box of the asked-for canvas in the result."""

    pads: tuple[int, int, int, int]  # left, top, right, bottom
    crop: tuple[int, int, int, int]


def outpaint_geometry(size: tuple[int, int], left: int, up: int, right: int, down: int) -> Outpaint:
    width, height = size[0] + left + right, size[1] + up + down
    extra_w = -width % LATENT_MULTIPLE
    extra_h = -height % LATENT_MULTIPLE
    return Outpaint((left, up, right + extra_w, down + extra_h), (0, 0, width, height))


def cropped(png: bytes, box: tuple[int, int, int, int], what: str) -> bytes:
    image = decode_image(png, what=what)
    if (0, 0, *image.size) == box:
        return png
    return encode_png(image.crop(box))
