"""Input pictures the service would refuse: sides over 1024 px or not multiples of 8.

An inpaint keeps the picture's size, so a picture upscaled earlier in the chain (1536 px, say)
or of an odd size is sent scaled to fit (LANCZOS; each side a multiple of 8, as
`media.outpaint.fit` does for outpaints), and the result is brought back to the exact size; the
pixels outside the mask are then the original's, untouched, so only the repainted area went
through the round trip. An img2img draws at the preset's size, so its input is only scaled to
fit before upload."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PIL import Image

from bookbuild.media.images import encode_png
from bookbuild.media.outpaint import MAX_SIDE, fit
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.images import mask_png, read_input

SIZED_OPS = ("img2img", "inpaint")


@dataclass(frozen=True)
class Sized:
    """The request as sent, and what bringing its result back needs."""

    request: ImageRequest
    original: Image.Image | None = None  # the input picture, when it was sent scaled
    mask: Image.Image | None = None  # the inpaint mask at the picture's own size

    @property
    def sent(self) -> tuple[int, int] | None:
        return (self.request.width, self.request.height) if self.original else None


def fit_for_service(request: ImageRequest) -> Sized:
    """`request` with its input picture (and mask) scaled to a size the service takes."""
    if request.op not in SIZED_OPS or request.image is None:
        return Sized(request)
    picture = read_input(request.image, "input image")
    target = service_size(picture.size)
    if target == picture.size:
        return Sized(request)
    image = encode_png(picture.resize(target, Image.Resampling.LANCZOS))
    if request.op == "img2img":
        return Sized(replace(request, image=image))
    mask = read_input(mask_png(request.mask, picture.size), "mask") if request.mask else None
    small_mask = mask_png(request.mask, target) if request.mask else None
    sent = replace(request, image=image, mask=small_mask, width=target[0], height=target[1])
    return Sized(sent, picture, mask)


def restore_size(result: Image.Image, sized: Sized) -> Image.Image:
    """An inpaint's result at the picture's own size, the original kept outside the mask."""
    if sized.original is None:
        return result
    original = sized.original
    mode = "RGBA" if "A" in original.getbands() else "RGB"
    back = result.convert(mode).resize(original.size, Image.Resampling.LANCZOS)
    if sized.mask is None:
        return back
    return Image.composite(back, original.convert(mode), sized.mask.convert("L"))


def service_size(size: tuple[int, int]) -> tuple[int, int]:
    """`size` within MAX_SIDE with both sides multiples of 8 (rounded down, at least 8)."""
    width, height = fit(size, MAX_SIDE)
    return max(8, width // 8 * 8), max(8, height // 8 * 8)
