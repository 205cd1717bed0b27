"""The offline provider's `erase` and `replace`, done for real with Pillow so drafts show them.

- erase: the masked area is filled from its surroundings (a diffusion fill: the area starts
  at the mean colour of the rest and takes the blurred picture around it, at shrinking blur
  radii, computed small and scaled up), so what was there disappears; pixels outside the
  mask stay byte-identical.
- replace: there is no object finder offline, so the region is chosen deterministically:
  the pixels near the colour the `search` text names ("the red ball" -> red), else a central
  ellipse, where a picture's subject usually is. That region is repainted like an inpaint
  with the prompt. The same request always gives the same bytes.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from bookbuild.providers.offline.image import _distance, _named_color, _rgb_like, paint_fill
from bookbuild.spec.masks import scale_mask, to_mask

COLOUR_TOLERANCE = 60  # largest channel difference still counted as the searched colour
MIN_REGION = 0.002  # a colour region smaller than this share of the picture is not "found"


def erase(source: Image.Image, mask: Image.Image) -> Image.Image:
    base = _rgb_like(source)
    where = scale_mask(to_mask(mask), base.size)
    keep = ImageChops.invert(where)
    rgb = base.convert("RGB")
    if keep.getbbox() is None:  # everything erased: nothing to fill from
        mean: tuple[int, ...] = (128, 128, 128)
    else:
        mean = tuple(round(v) for v in ImageStat.Stat(rgb, keep).mean)
    small = _small_size(rgb.size)
    picture, area = rgb.resize(small, Image.Resampling.BOX), where.resize(small)
    filled = Image.composite(Image.new("RGB", small, mean), picture, area)
    radius = max(2.0, min(small) / 8)
    while radius >= 1.0:
        for _ in range(3):
            blurred = filled.filter(ImageFilter.GaussianBlur(radius))
            filled = Image.composite(blurred, picture, area)
        radius /= 2
    result = filled.resize(rgb.size, Image.Resampling.BICUBIC).convert(base.mode)
    return Image.composite(result, base, where)


def _small_size(size: tuple[int, int], longest: int = 256) -> tuple[int, int]:
    """The size the fill is computed at (it is smooth, so a small one is enough)."""
    factor = min(1.0, longest / max(size))
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def replace(source: Image.Image, search: str, prompt: str, seed: int) -> Image.Image:
    base = _rgb_like(source)
    where = replace_region(base, search)
    fill = paint_fill(base, prompt, seed).convert(base.mode)
    return Image.composite(fill, base, where)


def replace_region(image: Image.Image, search: str) -> Image.Image:
    """Where `replace` repaints (L, 255 = repaint): see the module docstring."""
    colour = _named_color(search)
    if colour is not None:
        distance = _distance(image.convert("RGB"), Image.new("RGB", image.size, colour))
        near = distance.point(lambda value: 255 if value <= COLOUR_TOLERANCE else 0)
        share = ImageStat.Stat(near).mean[0] / 255
        if share >= MIN_REGION:
            return near.filter(ImageFilter.MaxFilter(3))
    width, height = image.size
    region = Image.new("L", image.size, 0)
    box = (width * 0.3, height * 0.25, width * 0.7, height * 0.8)
    ImageDraw.Draw(region).ellipse(box, fill=255)
    return region
