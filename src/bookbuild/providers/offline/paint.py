"""The offline provider's painter: a picture-book-like placeholder scene from a prompt and seed.

A soft gradient sky, a sun or moon, clouds or stars, layered hills with a few trees, paper grain
and the prompt's first words in a corner. Everything is drawn with Pillow from a generator
seeded by the request, so the same prompt and seed always give the same pixels.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bookbuild.providers.offline.fonts import draw_label
from bookbuild.providers.offline.seed import seeded_random

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    name: str
    sky_top: RGB
    sky_bottom: RGB
    sun: RGB
    hills: tuple[RGB, RGB, RGB, RGB]  # far to near
    night: bool = False
    water: bool = False  # the two nearest layers are gentle waves


PALETTES: dict[str, Palette] = {
    p.name: p
    for p in (
        Palette(
            "meadow",
            (126, 178, 221),
            (250, 232, 200),
            (255, 214, 120),
            ((172, 202, 162), (128, 178, 122), (90, 148, 98), (62, 114, 76)),
        ),
        Palette(
            "sunset",
            (96, 88, 156),
            (252, 180, 124),
            (255, 236, 170),
            ((186, 128, 146), (140, 94, 126), (100, 66, 104), (64, 46, 78)),
        ),
        Palette(
            "night",
            (18, 26, 62),
            (72, 82, 146),
            (248, 244, 214),
            ((64, 74, 126), (46, 56, 100), (34, 42, 78), (22, 28, 56)),
            night=True,
        ),
        Palette(
            "autumn",
            (152, 192, 212),
            (250, 236, 206),
            (255, 200, 110),
            ((224, 176, 116), (204, 132, 82), (164, 94, 60), (112, 70, 50)),
        ),
        Palette(
            "winter",
            (166, 194, 222),
            (238, 242, 248),
            (255, 246, 222),
            ((222, 230, 240), (198, 210, 226), (170, 186, 210), (138, 158, 188)),
        ),
        Palette(
            "sea",
            (112, 180, 222),
            (228, 242, 240),
            (255, 230, 150),
            ((150, 196, 170), (104, 168, 140), (70, 150, 178), (38, 110, 150)),
            water=True,
        ),
        Palette(
            "forest",
            (162, 202, 192),
            (242, 238, 204),
            (255, 226, 150),
            ((132, 172, 122), (92, 142, 98), (62, 112, 82), (38, 82, 62)),
        ),
        Palette(
            "dawn",
            (196, 178, 222),
            (255, 226, 214),
            (255, 240, 200),
            ((202, 216, 182), (172, 198, 162), (138, 172, 142), (102, 142, 122)),
        ),
    )
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "moon", "star", "midnight", "밤", "달빛", "별", "한밤"),
    "sunset": ("sunset", "evening", "dusk", "twilight", "노을", "저녁", "해질"),
    "autumn": ("autumn", "fall leaves", "maple", "harvest", "가을", "단풍", "낙엽"),
    "winter": ("winter", "snow", "frost", "ice", "겨울", "눈밭", "눈사람", "얼음"),
    "sea": ("sea", "ocean", "beach", "lake", "river", "wave", "바다", "강가", "호수", "파도"),
    "forest": ("forest", "wood", "tree", "jungle", "숲", "나무", "정글"),
    "dawn": ("dawn", "sunrise", "morning", "새벽", "아침", "해돋이"),
}
DAY_PALETTES = ("meadow", "autumn", "sea", "forest", "dawn", "sunset")
GRAIN_TILE = 64
PAINT_SALT = "offline-paint"


def paint_placeholder(
    prompt: str, seed: int, size: tuple[int, int], *, label: bool = True
) -> Image.Image:
    """An RGB picture-book placeholder for `prompt` at `size`; same inputs, same pixels."""
    rng = seeded_random(PAINT_SALT, prompt, seed)
    palette = pick_palette(prompt, rng)
    image = _sky(size, palette)
    if palette.night:
        _stars(image, rng)
    _sun(image, palette, rng)
    if not palette.night:
        _clouds(image, rng)
    _hills(image, palette, rng)
    image = apply_grain(_vignette(image), paper_grain(size, rng))
    if label:
        draw_label(image, prompt)
    return image


def pick_palette(prompt: str, rng: random.Random) -> Palette:
    """The palette a keyword of the prompt asks for (night, sea, ...), else one from the seed."""
    lowered = prompt.lower()
    for name, words in KEYWORDS.items():
        if any(_mentions(lowered, word) for word in words):
            return PALETTES[name]
    return PALETTES[rng.choice(DAY_PALETTES)]


def _mentions(text: str, word: str) -> bool:
    """Latin words match whole (plurals too: 'stars', not 'start'); others as substrings,
    since Korean attaches particles to the word ('숲에서')."""
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}(?:s|es)?\b", text) is not None
    return word in text


def paper_grain(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Seeded paper texture as mode "L" around 128: fine speckle plus soft mottling.

    The speckle is a small tile repeated (invisible at this amplitude), which keeps the PNG
    small and fast to encode; the mottling is not tiled.
    """
    width, height = size
    tile = Image.frombytes("L", (GRAIN_TILE, GRAIN_TILE), rng.randbytes(GRAIN_TILE**2))
    tile = tile.point([128 + (v - 128) * 5 // 128 for v in range(256)])
    fine = Image.new("L", size)
    for y in range(0, height, GRAIN_TILE):
        for x in range(0, width, GRAIN_TILE):
            fine.paste(tile, (x, y))
    small = (max(2, width // 40), max(2, height // 40))
    mottle = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    mottle = mottle.resize(size, Image.Resampling.BICUBIC)
    mottle = mottle.point([128 + (v - 128) * 4 // 128 for v in range(256)])
    return ImageChops.add(fine, mottle, 1.0, -128)


def apply_grain(image: Image.Image, grain: Image.Image) -> Image.Image:
    """Add a 128-centred grain to every colour channel."""
    rgb = image.convert("RGB")
    return ImageChops.add(rgb, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """The colour a + (b - a) * t."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _sky(size: tuple[int, int], palette: Palette) -> Image.Image:
    gradient = _sky_gradient(size)
    top = Image.new("RGB", size, palette.sky_top)
    bottom = Image.new("RGB", size, palette.sky_bottom)
    return Image.composite(bottom, top, gradient)


def _soft_paste(
    image: Image.Image, color: RGB, mask: Image.Image, opacity: float = 1.0, blur: float = 0.0
) -> None:
    """Paint `color` through `mask` (blurred by `blur` px for soft edges), touching only the
    mask's bounding box: most shapes are small, and this keeps the painter fast."""
    bbox = mask.getbbox()
    if bbox is None:
        return
    grow = math.ceil(blur * 3)
    box = (
        max(0, bbox[0] - grow),
        max(0, bbox[1] - grow),
        min(image.width, bbox[2] + grow),
        min(image.height, bbox[3] + grow),
    )
    region = mask.crop(box)
    if blur > 0:
        region = region.filter(ImageFilter.GaussianBlur(blur))
    if opacity < 1.0:
        region = region.point([round(v * opacity) for v in range(256)])
    image.paste(color, box, region)


def _sun(image: Image.Image, palette: Palette, rng: random.Random) -> None:
    width, height = image.size
    radius = min(width, height) * rng.uniform(0.055, 0.085)
    cx, cy = width * rng.uniform(0.15, 0.85), height * rng.uniform(0.12, 0.3)
    step = 4
    glow = Image.new("L", (width // step + 1, height // step + 1), 0)
    halo = radius * 2.4 / step
    ImageDraw.Draw(glow).ellipse(
        (cx / step - halo, cy / step - halo, cx / step + halo, cy / step + halo), fill=255
    )
    glow = glow.filter(ImageFilter.GaussianBlur(halo * 0.6))
    glow = glow.resize(image.size, Image.Resampling.BILINEAR)
    _soft_paste(image, palette.sun, glow, 0.45)
    disc = Image.new("L", image.size, 0)
    ImageDraw.Draw(disc).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    _soft_paste(image, palette.sun, disc, blur=1.0)


def _clouds(image: Image.Image, rng: random.Random) -> None:
    width, height = image.size
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(2, 4)):
        cw = width * rng.uniform(0.12, 0.22)
        cx, cy = width * rng.uniform(0.05, 0.95), height * rng.uniform(0.08, 0.34)
        draw.ellipse((cx - cw / 2, cy - cw * 0.12, cx + cw / 2, cy + cw * 0.14), fill=255)
        for _ in range(3):
            r = cw * rng.uniform(0.14, 0.24)
            px = cx + cw * rng.uniform(-0.3, 0.3)
            draw.ellipse((px - r, cy - r * 1.2, px + r, cy + r * 0.4), fill=255)
    _soft_paste(image, (255, 253, 246), mask, 0.85, blur=max(1.0, min(width, height) / 300))


def _stars(image: Image.Image, rng: random.Random) -> None:
    width, height = image.size
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(30, 60)):
        x, y = width * rng.random(), height * rng.uniform(0.0, 0.5)
        r = rng.uniform(0.6, 1.6) * max(1.0, min(width, height) / 512)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(150, 255))
    _soft_paste(image, (255, 250, 220), mask)


def _ridge(rng: random.Random, width: int, base: float, amp: float, freq: float) -> list[float]:
    """Heights of a smooth ridge line, one per pixel column step of width/96."""
    waves = [(freq * rng.uniform(0.6, 1.6) * (k + 1), rng.uniform(0, math.tau)) for k in range(3)]
    weights = [1.0, 0.45, 0.2]
    samples = 97
    return [
        base
        - amp
        * sum(
            w * math.sin(math.tau * f * i / (samples - 1) + p)
            for w, (f, p) in zip(weights, waves, strict=True)
        )
        for i in range(samples)
    ]


def _hills(image: Image.Image, palette: Palette, rng: random.Random) -> None:
    width, height = image.size
    layers = len(palette.hills)
    for i, color in enumerate(palette.hills):
        haze = 0.45 * (layers - 1 - i) / (layers - 1)
        water = palette.water and i >= layers - 2
        base = height * (0.52 + 0.11 * i + rng.uniform(-0.025, 0.025))
        amp = height * (0.012 if water else 0.075 - 0.014 * i)
        ridge = _ridge(rng, width, base, amp, 4.0 if water else 1.0)
        step = width / (len(ridge) - 1)
        _soft_paste(image, mix(color, palette.sky_bottom, haze), _hill_mask(image.size, ridge))
        if i == layers - 2 and not water:
            _trees(image, ridge, step, mix(color, (20, 30, 20), 0.35), rng)


def _hill_mask(size: tuple[int, int], ridge: list[float]) -> Image.Image:
    """Everything below the ridge line, its edge softened (only the ridge band is blurred)."""
    width, height = size
    step = width / (len(ridge) - 1)
    points = [(k * step, y) for k, y in enumerate(ridge)] + [(width, height), (0, height)]
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    top, bottom = max(0, math.floor(min(ridge)) - 3), min(height, math.ceil(max(ridge)) + 3)
    if bottom > top:
        band = mask.crop((0, top, width, bottom)).filter(ImageFilter.GaussianBlur(0.8))
        mask.paste(band, (0, top))
    return mask


def _trees(
    image: Image.Image, ridge: list[float], step: float, color: RGB, rng: random.Random
) -> None:
    height = image.height
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(2, 5)):
        k = rng.randrange(2, len(ridge) - 2)
        x, y = k * step, ridge[k] + height * 0.01
        tall = height * rng.uniform(0.06, 0.1)
        trunk = max(1.0, tall * 0.07)
        draw.rectangle((x - trunk, y - tall * 0.55, x + trunk, y), fill=255)
        r = tall * 0.3
        draw.ellipse((x - r, y - tall - r * 0.2, x + r, y - tall + r * 1.6), fill=255)
    _soft_paste(image, color, mask, blur=0.8)


def _vignette(image: Image.Image) -> Image.Image:
    return ImageChops.multiply(image, _vignette_shade(image.size))


# A book's pictures share a few sizes: the size-only layers are made once per size (never
# modified: they are only read by composite and multiply).
@lru_cache(maxsize=8)
def _sky_gradient(size: tuple[int, int]) -> Image.Image:
    return Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)


@lru_cache(maxsize=8)
def _vignette_shade(size: tuple[int, int]) -> Image.Image:
    radial = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    shade = radial.point([255 - round(30 * (v / 255) ** 2) for v in range(256)])
    return Image.merge("RGB", (shade, shade, shade))
