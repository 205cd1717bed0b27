"""Stability's answers at the size and with the pixels bookbuild asked for.

Generate, control and img2img answer at the aspect ratio's own size: scaled and
centre-cropped to the step's size. Inpaint and erase keep the input outside the mask exactly;
outpaint keeps the original inside the grown canvas; upscale gives exactly `scale` times the
input; replace and remove-background keep the input's size.
"""

from __future__ import annotations

from PIL import Image

from bookbuild.media.fit import cover, keep_unmasked, paste_original, resized
from bookbuild.media.images import decode_image
from bookbuild.providers.base import ImageRequest

GENERATED = ("txt2img", "img2img", "controlnet")


def finish(request: ImageRequest, answer: Image.Image) -> Image.Image:
    if request.op in GENERATED:
        return cover(answer, (request.width, request.height))
    assert request.image is not None
    original = decode_image(request.image, what="input image")
    if request.op in ("inpaint", "erase") and request.mask is not None:
        return keep_unmasked(answer, original, decode_image(request.mask, what="mask"))
    if request.op == "outpaint":
        sides = [int(request.params.get(s, 0)) for s in ("left", "right", "up", "down")]
        left, right, up, down = sides
        grown = (original.width + left + right, original.height + up + down)
        return paste_original(resized(answer, grown), original, (left, up))
    if request.op == "upscale":
        scale = int(request.params.get("scale", 2))
        return resized(answer, (original.width * scale, original.height * scale))
    return resized(answer, original.size)
