"""The cast in a draft picture: each character the picture shows is drawn as the same labelled
figure in every picture (its shape and colour derived from its id, its name as the label), so a
draft book shows who is on which page and that the cast stays the same.

The figures stand in a row along the bottom of the picture, in prompt order; each is a flat
shape of the character's colour with a dark outline, its name on a pale plate below.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bookbuild.providers.offline.fonts import fit_text, label_font

SHAPES = ("circle", "square", "triangle", "diamond", "hexagon", "star")
OUTLINE = (36, 34, 44)
PLATE = (255, 252, 244)
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Figure:
    """How one character is drawn in every draft picture."""

    id: str
    name: str
    shape: str
    color: RGB


def figure_of(cid: str, name: str) -> Figure:
    """The figure of character `cid`: the same for the same id, whatever the picture."""
    digest = hashlib.sha256(cid.encode("utf-8")).digest()
    hue = digest[1] / 256
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.72, 0.86)
    color = (round(red * 255), round(green * 255), round(blue * 255))
    return Figure(cid, name, SHAPES[digest[0] % len(SHAPES)], color)


def figure_boxes(size: tuple[int, int], count: int) -> list[tuple[int, int, int, int]]:
    """Where `count` figures stand in a picture of `size`: (left, top, right, bottom) of each
    figure's shape, in a row along the bottom."""
    width, height = size
    slot = width / max(1, count)
    side = int(min(slot * 0.62, height * 0.3))
    bottom = int(height * 0.86) - max(10, min(width, height) // 24)
    boxes = []
    for index in range(count):
        centre = int(slot * (index + 0.5))
        boxes.append((centre - side // 2, bottom - side, centre + side // 2, bottom))
    return boxes


def draw_cast(image: Image.Image, cast: Sequence[tuple[str, str]]) -> Image.Image:
    """`image` with the figure of each (id, name) drawn on it."""
    if not cast:
        return image
    picture = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
    draw = ImageDraw.Draw(picture)
    boxes = figure_boxes(picture.size, len(cast))
    for (cid, name), box in zip(cast, boxes, strict=True):
        figure = figure_of(cid, name)
        _shape(draw, figure.shape, box, figure.color, max(2, (box[2] - box[0]) // 28))
        _label(picture, figure.name, box)
    return picture


def _shape(
    draw: ImageDraw.ImageDraw, shape: str, box: tuple[int, int, int, int], color: RGB, line: int
) -> None:
    if shape == "circle":
        draw.ellipse(box, fill=color, outline=OUTLINE, width=line)
    elif shape == "square":
        draw.rectangle(box, fill=color, outline=OUTLINE, width=line)
    else:
        draw.polygon(_points(shape, box), fill=color, outline=OUTLINE, width=line)


def _points(shape: str, box: tuple[int, int, int, int]) -> list[tuple[float, float]]:
    left, top, right, bottom = box
    cx, cy, r = (left + right) / 2, (top + bottom) / 2, (right - left) / 2
    if shape == "triangle":
        return [(cx, top), (right, bottom), (left, bottom)]
    if shape == "diamond":
        return [(cx, top), (right, cy), (cx, bottom), (left, cy)]
    if shape == "hexagon":
        return [_polar(cx, cy, r, 60 * k + 30) for k in range(6)]
    return [_polar(cx, cy, r if k % 2 == 0 else r * 0.45, 36 * k - 90) for k in range(10)]


def _polar(cx: float, cy: float, r: float, degrees: float) -> tuple[float, float]:
    angle = math.radians(degrees)
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def _label(image: Image.Image, name: str, box: tuple[int, int, int, int]) -> None:
    """The name, centred under the figure on a pale plate."""
    left, _, right, bottom = box
    width, height = image.size
    size = max(10, min(width, height) // 28)
    font, cjk = label_font(size)
    text = name if cjk else "".join(c for c in name if c.isascii() and c.isprintable())
    text = fit_text(text.strip(), font, max(size, int((right - left) * 1.5)))
    if not text:
        return
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = (round(v) for v in draw.textbbox((0, 0), text, font=font))
    margin = max(2, size // 3)
    x = (left + right) // 2 - (x1 - x0) // 2
    y = bottom + margin * 2
    if y + (y1 - y0) + margin > height:
        return
    plate = (x - margin, y - margin, x + (x1 - x0) + margin, y + (y1 - y0) + margin)
    draw.rounded_rectangle(plate, radius=margin, fill=PLATE, outline=OUTLINE, width=1)
    draw.text((x - x0, y - y0), text, font=font, fill=OUTLINE)
