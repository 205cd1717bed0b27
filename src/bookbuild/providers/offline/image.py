"""The offline provider's image operations, done for real with Pillow: masks really applied,
canvases really grown, upscaling really resampled, backgrounds really cut out.

Each function takes decoded images and returns a new one; none uses unseeded randomness.
"""

from __future__ import annotations

import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from bookbuild.media.images import check_pixels, flatten
from bookbuild.providers.offline.fonts import draw_label
from bookbuild.providers.offline.paint import (
    PAINT_SALT,
    RGB,
    apply_grain,
    paint_placeholder,
    paper_grain,
    pick_palette,
)
from bookbuild.providers.offline.seed import seeded_random
from bookbuild.spec.masks import scale_mask, to_mask

COLOR_WORDS: dict[str, RGB] = {
    "red": (206, 52, 48),
    "빨간": (206, 52, 48),
    "붉은": (196, 50, 46),
    "orange": (236, 132, 40),
    "주황": (236, 132, 40),
    "yellow": (244, 206, 64),
    "노란": (244, 206, 64),
    "gold": (218, 170, 60),
    "금빛": (218, 170, 60),
    "green": (76, 150, 78),
    "초록": (76, 150, 78),
    "blue": (58, 108, 196),
    "파란": (58, 108, 196),
    "purple": (128, 78, 170),
    "보라": (128, 78, 170),
    "pink": (236, 140, 170),
    "분홍": (236, 140, 170),
    "brown": (128, 86, 52),
    "갈색": (128, 86, 52),
    "white": (246, 244, 238),
    "하얀": (246, 244, 238),
    "black": (36, 34, 40),
    "검은": (36, 34, 40),
    "grey": (140, 140, 146),
    "gray": (140, 140, 146),
    "회색": (140, 140, 146),
    "sun": (250, 204, 92),
    "햇살": (250, 204, 92),
    "moon": (240, 234, 196),
    "sky": (122, 176, 222),
    "하늘": (122, 176, 222),
    "grass": (104, 168, 84),
    "풀": (104, 168, 84),
    "snow": (240, 244, 250),
    "fire": (226, 96, 44),
    "불": (226, 96, 44),
}
CUT_LOW, CUT_HIGH = 22, 60  # colour distance: background below, subject above
ACCENTS: tuple[RGB, ...] = (
    (214, 96, 78),
    (236, 180, 70),
    (96, 150, 110),
    (84, 128, 190),
    (170, 110, 160),
    (226, 150, 120),
)


def img2img(source: Image.Image, prompt: str, seed: int, strength: float) -> Image.Image:
    """The input moved towards the prompt: first recoloured in the prompt's palette (its
    shapes kept), then, at high strength, replaced by a new placeholder. 0 = input, 1 = new."""
    base = _rgb_like(source)
    amount = _unit(strength)
    palette = pick_palette(prompt, seeded_random(PAINT_SALT, prompt, seed))
    shade = ImageOps.autocontrast(base.convert("L"), cutoff=1)
    recoloured = ImageOps.colorize(
        shade, black=palette.hills[3], mid=palette.hills[1], white=palette.sky_bottom
    ).convert(base.mode)
    fresh = paint_placeholder(prompt, seed, base.size, label=False).convert(base.mode)
    moved = Image.blend(base, recoloured, amount * 0.8)
    return Image.blend(moved, fresh, amount**2)


def controlnet(
    control: Image.Image, prompt: str, seed: int, size: tuple[int, int], strength: float
) -> Image.Image:
    """A placeholder of the prompt at `size`, showing the control image's shapes faintly and
    its edges inked over it (more with more strength)."""
    picture = paint_placeholder(prompt, seed, size, label=False)
    weight = _unit(min(1.0, strength))
    guide = flatten(control).resize(size, Image.Resampling.LANCZOS)
    picture = Image.blend(picture, guide, 0.3 * weight)
    edges = guide.convert("L").filter(ImageFilter.GaussianBlur(1)).filter(ImageFilter.FIND_EDGES)
    opacity = 0.85 * weight
    edges = edges.point([round(min(255, v * 4) * opacity) for v in range(256)])
    picture.paste((40, 36, 44), (0, 0, *size), edges)
    draw_label(picture, prompt)
    return picture


def inpaint(
    source: Image.Image, mask: Image.Image, prompt: str, seed: int, strength: float
) -> Image.Image:
    """Repaint only where the mask is set: pixels where the mask is 0 stay byte-identical."""
    base = _rgb_like(source)
    weight = scale_mask(to_mask(mask), base.size)
    if strength < 1.0:
        weight = weight.point([round(v * _unit(strength)) for v in range(256)])
    fill = paint_fill(base, prompt, seed).convert(base.mode)
    return Image.composite(fill, base, weight)


def paint_fill(source: Image.Image, prompt: str, seed: int) -> Image.Image:
    """What an inpainted region shows: the surrounding colours, blurred, painted over in the
    colour the prompt names (else one from the seed), with brush strokes and paper grain."""
    rng = seeded_random("inpaint", prompt, seed)
    colour = _named_color(prompt) or rng.choice(ACCENTS)
    size = source.size
    blurred = source.convert("RGB").filter(ImageFilter.GaussianBlur(max(2.0, min(size) / 16)))
    painted = Image.blend(blurred, Image.new("RGB", size, colour), 0.6)
    return apply_grain(
        painted, ImageChops.add(brush_strokes(size, rng), paper_grain(size, rng), 1.0, -128)
    )


def brush_strokes(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Soft diagonal strokes as mode "L" around 128 (lighter and darker), seeded."""
    width, height = size
    layer = Image.new("L", size, 128)
    draw = ImageDraw.Draw(layer)
    thick = max(2, min(size) // 28)
    slope = rng.uniform(0.35, 0.8)
    for _ in range(max(12, width * height // (thick * thick * 6))):
        x, y = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height
        length = rng.uniform(2.0, 6.0) * thick
        shade = 128 + rng.choice((-1, 1)) * rng.randint(6, 16)
        draw.line((x, y, x + length, y - length * slope), fill=shade, width=thick)
    return layer.filter(ImageFilter.GaussianBlur(thick / 3))


def outpaint(
    source: Image.Image, prompt: str, seed: int, margins: tuple[int, int, int, int]
) -> Image.Image:
    """Grow the canvas by (left, up, right, down) px; the original pixels stay exactly in place.
    The new area mirrors the edges (seamless at the border), blurring more with distance and
    fading into brush strokes."""
    base = _rgb_like(source)
    left, up, right, down = margins
    size = (base.width + left + right, base.height + up + down)
    check_pixels(size, what="outpaint result")
    mirrored = _mirror_tile(base, size, (left, up))
    radius = max(2.0, min(base.size) / 40)
    soft = mirrored.filter(ImageFilter.GaussianBlur(radius))
    far = soft.filter(ImageFilter.GaussianBlur(radius * 3))
    rng = seeded_random("outpaint", prompt, seed)
    texture = ImageChops.add(brush_strokes(size, rng), paper_grain(size, rng), 1.0, -128)
    far = apply_grain(far, texture).convert(base.mode)
    canvas = Image.composite(soft, far, _nearness(base.size, size, (left, up), radius * 12))
    canvas = Image.composite(mirrored, canvas, _nearness(base.size, size, (left, up), radius * 2))
    canvas.paste(base, (left, up))
    return canvas


def _mirror_tile(image: Image.Image, size: tuple[int, int], origin: tuple[int, int]) -> Image.Image:
    """`size` px of the plane tiled with the image and its mirror images, seamlessly, with the
    image itself at `origin`."""
    w, h = image.size
    block = Image.new(image.mode, (2 * w, 2 * h))
    flipped = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    block.paste(image, (0, 0))
    block.paste(flipped, (w, 0))
    block.paste(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h))
    block.paste(flipped.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (w, h))
    shift_x, shift_y = (-origin[0]) % (2 * w), (-origin[1]) % (2 * h)
    plane = Image.new(image.mode, (size[0] + 2 * w, size[1] + 2 * h))
    for y in range(0, plane.height, 2 * h):
        for x in range(0, plane.width, 2 * w):
            plane.paste(block, (x, y))
    return plane.crop((shift_x, shift_y, shift_x + size[0], shift_y + size[1]))


def _nearness(
    inner: tuple[int, int], size: tuple[int, int], origin: tuple[int, int], reach: float
) -> Image.Image:
    """255 on the original area, fading to 0 about `reach` px away from it."""
    scale = 4
    small = Image.new("L", (size[0] // scale + 1, size[1] // scale + 1), 0)
    x0, y0 = origin[0] / scale, origin[1] / scale
    box = (x0, y0, x0 + inner[0] / scale, y0 + inner[1] / scale)
    ImageDraw.Draw(small).rectangle(box, fill=255)
    small = small.filter(ImageFilter.GaussianBlur(max(1.0, reach / scale / 2)))
    small = small.point([min(255, v * 2) for v in range(256)])  # full strength at the border
    return small.resize(size, Image.Resampling.BILINEAR)


def upscale(source: Image.Image, scale: int) -> Image.Image:
    """Resample by `scale` with Lanczos, then a light unsharp mask (colour only, not alpha)."""
    size = (source.width * scale, source.height * scale)
    check_pixels(size, what="upscale result")
    image = source if source.mode in ("RGB", "RGBA", "L", "LA") else source.convert("RGBA")
    big = image.resize(size, Image.Resampling.LANCZOS)
    sharpen = ImageFilter.UnsharpMask(radius=0.6 * scale, percent=60, threshold=2)
    if big.mode in ("RGBA", "LA"):
        *colour, alpha = big.split()
        mode = "RGB" if big.mode == "RGBA" else "L"
        sharp = Image.merge(mode, colour).filter(sharpen)
        return Image.merge(big.mode, [*sharp.split(), alpha])
    return big.filter(sharpen)


def remove_background(source: Image.Image) -> Image.Image:
    """RGBA: pixels close to the background (interpolated from the border) become
    transparent, with a soft edge; the rest, the subject, stays opaque."""
    rgba = source.convert("RGBA")
    rgb = rgba.convert("RGB")
    across, down = _border_plates(rgb)
    distance = ImageChops.darker(_distance(rgb, across), _distance(rgb, down))
    ramp = [
        0
        if v <= CUT_LOW
        else 255
        if v >= CUT_HIGH
        else round(255 * (v - CUT_LOW) / (CUT_HIGH - CUT_LOW))
        for v in range(256)
    ]
    alpha = distance.point(ramp).filter(ImageFilter.MedianFilter(5))
    rgba.putalpha(ImageChops.multiply(alpha, rgba.getchannel("A")))
    return rgba


def _border_plates(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Two guesses of the background: the left and right edges blended across, and the top
    and bottom edges blended downwards (each edge smoothed first)."""
    w, h = image.size
    band = max(1, min(w, h) // 50)
    blur = ImageFilter.GaussianBlur(max(1.0, max(w, h) / 100))

    def edge(box: tuple[int, int, int, int], thin: tuple[int, int]) -> Image.Image:
        strip = image.crop(box).resize(thin, Image.Resampling.BOX).filter(blur)
        return strip.resize((w, h), Image.Resampling.BILINEAR)

    ramp_down = Image.linear_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    ramp_across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90)
    ramp_across = ramp_across.resize((w, h), Image.Resampling.BILINEAR)
    left, right = edge((0, 0, band, h), (1, h)), edge((w - band, 0, w, h), (1, h))
    top, bottom = edge((0, 0, w, band), (w, 1)), edge((0, h - band, w, h), (w, 1))
    return Image.composite(right, left, ramp_across), Image.composite(bottom, top, ramp_down)


def _distance(image: Image.Image, other: Image.Image) -> Image.Image:
    """Per pixel, the largest channel difference between two RGB images (mode "L")."""
    red, green, blue = ImageChops.difference(image, other).split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)


def _named_color(prompt: str) -> RGB | None:
    lowered = prompt.lower()
    hits = [(lowered.find(word), color) for word, color in COLOR_WORDS.items() if word in lowered]
    return min(hits)[1] if hits else None


def _rgb_like(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency (kept as it is)."""
    if image.mode in ("RGB", "RGBA"):
        return image
    has_alpha = image.mode in ("LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _unit(value: float) -> float:
    return max(0.0, min(1.0, value))
