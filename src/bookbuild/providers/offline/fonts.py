"""A font for the offline provider's corner labels: a Korean-capable one when the machine has it,
else Pillow's built-in font (with the label reduced to ASCII). Never fails for lack of a font."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
)
LABEL_WORDS = 7
LABEL_CHARS = 60


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font file that covers Hangul: a well-known path, else the first one fontconfig lists."""
    for candidate in CJK_FONT_PATHS:
        if Path(candidate).is_file():
            return candidate
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    return next((f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))), None)


def label_font(size: int) -> tuple[Font, bool]:
    """(font, covers Hangul?) at `size` px. Loaded per call: font objects are not shared
    between threads."""
    path = cjk_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            pass
    return ImageFont.load_default(size), False


def label_text(prompt: str, cjk: bool) -> str:
    """The first words of the prompt, short; ASCII only when the font lacks other scripts."""
    text = " ".join(prompt.split()[:LABEL_WORDS])
    if not cjk:
        text = " ".join("".join(c for c in text if c.isascii() and c.isprintable()).split())
    if len(text) > LABEL_CHARS:
        text = text[: LABEL_CHARS - 3].rstrip() + "..."
    return text.rstrip(" ,;:")


def draw_label(image: Image.Image, prompt: str) -> None:
    """Write the prompt's first words small in the bottom-left corner, on a soft plate."""
    width, height = image.size
    size = max(10, min(width, height) // 42)
    font, cjk = label_font(size)
    text = fit_text(label_text(prompt, cjk), font, width - 3 * size)
    if not text:
        return
    bbox = ImageDraw.Draw(image).textbbox((0, 0), text, font=font)
    left, top, right, bottom = (round(v) for v in bbox)
    margin = max(2, round(size * 0.45))
    box_w, box_h = right - left + 2 * margin, bottom - top + 2 * margin
    x0, y0 = size - margin, height - size - (bottom - top) - margin
    if y0 < 0:
        return
    plate = Image.new("L", (box_w, box_h), 0)
    ImageDraw.Draw(plate).rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=margin, fill=120)
    image.paste((255, 252, 244), (x0, y0, x0 + box_w, y0 + box_h), plate)
    ink = Image.new("L", (box_w, box_h), 0)
    ImageDraw.Draw(ink).text((margin - left, margin - top), text, font=font, fill=190)
    image.paste((44, 42, 52), (x0, y0, x0 + box_w, y0 + box_h), ink)


def fit_text(text: str, font: Font, max_width: int) -> str:
    """Drop words from the end until the text fits in `max_width` px ('' if nothing fits)."""
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    while text and probe.textlength(text, font=font) > max_width:
        text = text.rsplit(" ", 1)[0].rstrip(" ,;:") if " " in text else ""
    return text
