"""The cover wrap's colours: the spine and back continue the front art's spine-side edge (the
mean colour of the leftmost strip that shows on the front, the art being cropped to the front's
shape) unless `style.cover_color` names one, with text in white or near-black, whichever reads
better on it. Art across the whole wrap gives the colour of its middle (the spine)."""

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
def spine_side_colour(data: bytes, aspect: float = 0.0, middle: bool = False) -> str:
    """The mean colour of the picture's strip at the spine (transparency on white): its
    leftmost visible strip when it is cropped to `aspect` (width / height; 0: not cropped),
    or its middle strip (`middle`: art across the wrap)."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGBA")
    image.thumbnail((128, 128))
    shown = image.width if aspect <= 0 else min(image.width, round(image.height * aspect))
    width = max(1, round(shown * STRIP))
    left = (image.width - width) // 2 if middle else (image.width - shown) // 2
    strip = image.crop((left, 0, left + width, image.height))
    flat = Image.new("RGBA", strip.size, (255, 255, 255, 255))
    flat.alpha_composite(strip)
    mean = flat.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(mean, tuple)
    return "#{:02x}{:02x}{:02x}".format(*mean[:3])


def cover_colors(view: BookView, front_aspect: float = 0.0) -> CoverColors:
    """The colours of the spine and back; `front_aspect` is the front panel's width / height
    (the art is cropped to it)."""
    given = view.style.cover_color
    if given and _HEX.match(given):
        base = given.lower()
    elif view.cover is not None:
        wrap = view.style.cover_shape == "wrap"
        base = spine_side_colour(view.cover.image, 0.0 if wrap else front_aspect, wrap)
    else:
        base = DEFAULT
    dark_text = luminance(base) > 0.4
    return CoverColors(
        spine=base,
        back=base,
        text="#1d1d1d" if dark_text else "#ffffff",
        soft="#2b2b2b" if dark_text else "#f2f2f2",
    )
