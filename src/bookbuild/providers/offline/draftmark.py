"""The DRAFT mark on every offline picture: a placeholder must never pass for a real
illustration that ignored its prompt.

An opaque badge reading DRAFT near the top-right corner (inset enough to survive a full-bleed
crop) and, on opaque pictures, a thin frame: drawn over the picture after every offline op (a
draft edit of a draft picture paints the same mark over the old one, so it stays crisp). Its
size follows the picture's short side. A cut-out (transparent background) gets no frame.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bookbuild.providers.offline.fonts import Font, label_font

MARK_VERSION = 1
"""Bumped when the mark's look changes: the plan puts it in offline image steps' keys
(graph.steps.DRAFT_MARK_VERSION mirrors it), so pictures pinned by an older draft lock are
re-made. Real providers' keys never hold it."""

TEXT = "DRAFT"
BADGE_RGB = (200, 34, 48)
INK_RGB = (255, 255, 255)
BOLD_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)


@lru_cache(maxsize=1)
def _bold_font_path() -> str | None:
    return next((p for p in BOLD_FONTS if Path(p).is_file()), None)


def _font(size: int) -> Font:
    path = _bold_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return label_font(size)[0]


def mark_draft(image: Image.Image) -> Image.Image:
    """`image` with the DRAFT badge and frame drawn on it (a copy; the mode is kept, and on a
    picture with transparency the mark is opaque)."""
    marked = image.copy()
    if marked.mode not in ("RGB", "RGBA"):
        marked = marked.convert("RGBA" if "A" in marked.getbands() else "RGB")
    width, height = marked.size
    short = min(width, height)
    if short < 24:
        return marked  # too small to carry a legible mark (a thumbnail, a tiny mask test)
    draw = ImageDraw.Draw(marked)
    fill = (*BADGE_RGB, 255) if marked.mode == "RGBA" else BADGE_RGB
    if marked.mode == "RGB":
        frame = max(2, short // 128)
        for inset in range(frame):
            draw.rectangle((inset, inset, width - 1 - inset, height - 1 - inset), outline=fill)
    _badge(draw, marked.mode, width, short, fill)
    return marked


def _badge(
    draw: ImageDraw.ImageDraw, mode: str, width: int, short: int, fill: tuple[int, ...]
) -> None:
    font = _font(max(10, short // 12))
    left, top, right, bottom = (round(v) for v in draw.textbbox((0, 0), TEXT, font=font))
    pad = max(3, (bottom - top) // 3)
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    inset = max(4, short // 16)
    x0, y0 = width - box_w - inset, inset
    draw.rounded_rectangle((x0, y0, x0 + box_w, y0 + box_h), radius=pad, fill=fill)
    ink = (*INK_RGB, 255) if mode == "RGBA" else INK_RGB
    draw.text((x0 + pad - left, y0 + pad - top), TEXT, font=font, fill=ink)
