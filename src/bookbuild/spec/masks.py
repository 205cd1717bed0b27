"""Masks: a painted PNG or shapes in fractions of the image -> a greyscale mask at a size.

The spec's convention everywhere: 255 = repaint, 0 = keep, values between blend. Providers
convert to their service's convention. Shapes are in fractions (0..1) of the image, so a mask
survives a regenerated base image of another size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bookbuild.errors import MaskError
from bookbuild.media.images import encode_png, read_image
from bookbuild.spec.models import MaskShape
from bookbuild.spec.paths import resolve_in_book

SUPERSAMPLE_BUDGET = 16_000_000
"""Shapes are drawn supersampled (up to 4x4) for smooth edges, within this many pixels."""


def render_mask(
    mask: str | MaskShape | Sequence[MaskShape], size: tuple[int, int], root: Path
) -> Image.Image:
    """The mask as a mode "L" image of exactly `size` (255 = repaint, 0 = keep).

    A str is a PNG path relative to `root` (the book folder); it must stay inside it.
    A list of shapes is their union, each shape feathered and inverted on its own.
    """
    if isinstance(mask, str):
        return scale_mask(load_mask_file(mask, root), size)
    if isinstance(mask, MaskShape):
        return render_shape(mask, size)
    combined = Image.new("L", size, 0)
    for shape in mask:
        combined = ImageChops.lighter(combined, render_shape(shape, size))
    return combined


def mask_png(image: Image.Image) -> bytes:
    """The mask as deterministic 8-bit greyscale PNG bytes."""
    return encode_png(image if image.mode == "L" else to_mask(image))


def load_mask_file(relpath: str, root: Path) -> Image.Image:
    """Read a painted mask (white = repaint) from inside `root`, as mode "L" at its own size."""
    path = resolve_inside(relpath, root)
    if not path.is_file():
        raise MaskError(f"mask file not found: {relpath} (looked for {path})")
    return to_mask(read_image(path, what=f"mask {relpath}"))


def resolve_inside(relpath: str, root: Path) -> Path:
    """`root / relpath`, resolved; refuse a path (or a symlink) that leads outside `root`."""
    try:
        return resolve_in_book(root, relpath)
    except ValueError as exc:
        raise MaskError(f"mask {relpath!r}: {exc}") from None


def to_mask(image: Image.Image) -> Image.Image:
    """Any image as a mask (255 = repaint).

    Without transparency: its luminance (white = repaint). With transparent pixels, the
    transparency carries the selection, as in the seed's Gradio app and other sketch tools that
    save strokes on a transparent layer: opaque = repaint, transparent = keep, whatever the
    strokes' colour (black strokes used to count as keep, a silent no-op)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        wide = image.convert("I") if image.mode != "F" else image
        return wide.point(lambda v: v * (255 / 65535)).convert("L")
    if image.mode == "L":
        return image
    if image.mode == "1":
        return image.convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB").convert("L")
    alpha = image.convert("RGBA").getchannel("A")
    if alpha.getextrema()[0] == 255:  # fully opaque: an ordinary white-on-black mask
        return image.convert("RGB").convert("L")
    return alpha


ASPECT_TOLERANCE = 0.02


def coverage_problem(mask: Image.Image) -> str | None:
    """Why a mask (mode L) cannot mean what an edit needs, or None: all black repaints nothing
    (a paid no-op), all white repaints everything (a new picture, not an edit)."""
    return extrema_problem(_extrema(mask))


def shape_extrema(shape: MaskShape, size: tuple[int, int]) -> tuple[int, int]:
    """(darkest, brightest) of `render_shape(shape, size)`. A shape neither feathered nor
    inverted is not scaled down for this: its supersampled drawing is pure black and white,
    and a pixel of the scaled mask (the mean of its subpixels) is 0, or 255, exactly when all
    its subpixels are; so the drawing has the same extremes, found without the resize.
    Found once per shape and size in a process (a book's edits often share one mask)."""
    return _shape_extrema(shape.model_dump_json(), size)


@lru_cache(maxsize=256)
def _shape_extrema(shape_json: str, size: tuple[int, int]) -> tuple[int, int]:
    shape = MaskShape.model_validate_json(shape_json)
    if shape.feather > 0 or shape.invert:
        return _extrema(render_shape(shape, size))
    factor = _supersample_factor(size)
    big = Image.new("L", (size[0] * factor, size[1] * factor), 0)
    _draw_shape(ImageDraw.Draw(big), shape, big.size)
    return _extrema(big)


def _extrema(mask: Image.Image) -> tuple[int, int]:
    low, high = mask.getextrema()  # one band (mode L): two numbers
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        raise TypeError(f"a mask has one band, not {mask.mode}")
    return int(low), int(high)


def extrema_problem(extrema: tuple[int, int]) -> str | None:
    """`coverage_problem` from a mask's (darkest, brightest) values."""
    low, high = extrema
    if high == 0:
        return (
            "the mask is all black: nothing would be repainted (white = repaint, black = keep); "
            "paint the region to change in white"
        )
    if low == 255:
        return (
            "the mask is all white: the whole picture would be repainted, which makes a new "
            "picture rather than an edit; mark only the region to change, or use an `img2img` "
            "edit (or a new `take`) to redraw everything"
        )
    return None


def aspect_warning(mask_size: tuple[int, int], picture_size: tuple[int, int]) -> str | None:
    """A note when a painted mask will be stretched to a picture of another shape."""
    mask_ratio = mask_size[0] / mask_size[1]
    picture_ratio = picture_size[0] / picture_size[1]
    if abs(mask_ratio - picture_ratio) / picture_ratio <= ASPECT_TOLERANCE:
        return None
    return (
        f"the mask is {mask_size[0]}x{mask_size[1]} but the picture is "
        f"{picture_size[0]}x{picture_size[1]}: the mask is stretched to fit, so the region "
        "moves; paint the mask at the picture's shape"
    )


def scale_mask(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize a mask without ringing: area average when shrinking, bilinear when growing.

    Neither filter has negative lobes, so a region that is all 0 (keep) stays exactly 0.
    """
    if mask.size == size:
        return mask
    shrinking = size[0] <= mask.width and size[1] <= mask.height
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return mask.resize(size, resample)


def render_shape(shape: MaskShape, size: tuple[int, int]) -> Image.Image:
    """One shape drawn at `size`, anti-aliased, then feathered and inverted as asked (a new
    image; drawn once per shape and size in a process)."""
    return _rendered_shape(shape.model_dump_json(), size).copy()


@lru_cache(maxsize=32)
def _rendered_shape(shape_json: str, size: tuple[int, int]) -> Image.Image:
    shape = MaskShape.model_validate_json(shape_json)
    factor = _supersample_factor(size)
    big = Image.new("L", (size[0] * factor, size[1] * factor), 0)
    _draw_shape(ImageDraw.Draw(big), shape, big.size)
    mask = big if factor == 1 else big.resize(size, Image.Resampling.BOX)
    if shape.feather > 0:
        radius = shape.feather * min(size)
        mask = mask.filter(ImageFilter.GaussianBlur(radius))
    if shape.invert:
        mask = ImageChops.invert(mask)
    return mask


def _supersample_factor(size: tuple[int, int]) -> int:
    pixels = max(1, size[0] * size[1])
    return max(1, min(4, math.isqrt(SUPERSAMPLE_BUDGET // pixels)))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: MaskShape, size: tuple[int, int]) -> None:
    width, height = size
    if shape.polygon is not None:
        points = [(x * width, y * height) for x, y in (_pair(p) for p in shape.polygon)]
        draw.polygon(points, fill=255)
        return
    box = shape.rect if shape.rect is not None else shape.ellipse
    assert box is not None  # MaskShape guarantees exactly one shape
    x0, x1 = sorted((box[0] * width, box[2] * width))
    y0, y1 = sorted((box[1] * height, box[3] * height))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return  # an empty box covers nothing
    corners = (x0, y0, x1 - 1, y1 - 1)  # ImageDraw includes the end pixel
    if shape.rect is not None:
        draw.rectangle(corners, fill=255)
    else:
        draw.ellipse(corners, fill=255)


def _pair(point: Sequence[float]) -> tuple[float, float]:
    if len(point) != 2:
        raise MaskError(f"a polygon vertex needs two numbers [x, y], got {list(point)}")
    return point[0], point[1]
