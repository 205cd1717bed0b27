"""The cover wrap's colours: the spine and back continue the front art's spine-side edge (the
mean colour of its leftmost strip) unless `style.cover_color` names one, with text in white or
near-black, whichever reads better on it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from .view import BookView

DEFAULT = "#3b4a5a"  # slate, for a cover without art
STRIP = 0.06  # share of the art's width sampled at its spine side
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class CoverColors:
    spine: str  # '#rrggbb'
    back: str
    text: str  # on the spine and back
    soft: str  # quieter text (the blurb) on the back


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG) of '#rrggbb'."""
    channels = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@lru_cache(maxsize=64)
def spine_side_colour(data: bytes) -> str:
    """The mean colour of the picture's leftmost strip (transparency on white)."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGBA")
    image.thumbnail((128, 128))
    strip = image.crop((0, 0, max(1, round(image.width * STRIP)), image.height))
    flat = Image.new("RGBA", strip.size, (255, 255, 255, 255))
    flat.alpha_composite(strip)
    mean = flat.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(mean, tuple)
    return "#{:02x}{:02x}{:02x}".format(*mean[:3])


def cover_colors(view: BookView) -> CoverColors:
    given = view.style.cover_color
    if given and _HEX.match(given):
        base = given.lower()
    elif view.cover is not None:
        base = spine_side_colour(view.cover.image)
    else:
        base = DEFAULT
    dark_text = luminance(base) > 0.4
    return CoverColors(
        spine=base,
        back=base,
        text="#1d1d1d" if dark_text else "#ffffff",
        soft="#2b2b2b" if dark_text else "#f2f2f2",
    )
