"""Pictures on their way to and from ComfyUI: content-derived upload names, our mask (white =
repaint) turned into ComfyUI's (alpha 0 = repaint, what LoadImage's MASK output reads as
1 − alpha), sizes, the outpaint canvas grown to multiples of 8 and cropped back, and the
original pasted back outside the mask (the VAE round trip changes every pixel it encodes)."""

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


def kept_outside(png: bytes, original: bytes, mask_png: bytes, what: str) -> bytes:
    """The result with the original's pixels wherever our mask is black (255 = repaint; grey
    blends): ComfyUI encodes the whole picture through the VAE, so without this every pixel
    outside the mask comes back slightly changed."""
    source = decode_image(original, what="the input picture").convert("RGB")
    result = decode_image(png, what=what).convert("RGB")
    if result.size != source.size:
        result = result.resize(source.size, Image.Resampling.LANCZOS)
    mask = decode_image(mask_png, what="mask").convert("L")
    if mask.size != source.size:
        mask = mask.resize(source.size, Image.Resampling.LANCZOS)
    return encode_png(Image.composite(result, source, mask))


def outpainted(
    png: bytes, original: bytes, geometry: Outpaint, feathering: int, what: str
) -> bytes:
    """The outpaint result cropped to the asked canvas, the original pasted back in its place
    except where ImagePadForOutpaint's feathering let the model blend into it."""
    result = decode_image(cropped(png, geometry.crop, what), what=what).convert("RGB")
    source = decode_image(original, what="the input picture").convert("RGB")
    left, top = geometry.pads[0], geometry.pads[1]
    grown = (
        left > 0,
        top > 0,
        result.width > left + source.width,
        result.height > top + source.height,
    )
    result.paste(source, (left, top), _kept_by_feathering(source.size, feathering, grown))
    return encode_png(result)


def _kept_by_feathering(
    size: tuple[int, int], feathering: int, grown: tuple[bool, bool, bool, bool]
) -> Image.Image:
    """How much of the original ImagePadForOutpaint keeps (255 = all): its mask over the
    picture is ((feathering - d) / feathering)² within `feathering` pixels of a side that grew
    (d the distance to that side), 0 elsewhere; no feathering when it is 2 × a side or more."""
    width, height = size
    keep = Image.new("L", size, 255)
    if feathering <= 0 or feathering * 2 >= width or feathering * 2 >= height:
        return keep
    left, top, right, bottom = grown
    pixels = keep.load()
    assert pixels is not None
    for y in range(height):
        for x in range(width):
            near = min(
                x if left else feathering,
                width - x if right else feathering,
                y if top else feathering,
                height - y if bottom else feathering,
            )
            if near < feathering:
                rise = (feathering - near) / feathering
                pixels[x, y] = round(255 * (1 - rise * rise))
    return keep
