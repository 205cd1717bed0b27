"""Pure parsing of the `style:` values of book.yaml: lengths, page sizes, margins and theme
names. Both `spec/` (to report a bad value at book.yaml:LINE:COL) and `render/` use it; it
imports neither."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from bookbuild.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parent / "templates"
BASE = "base"
THEME_MARKER = "book.css.j2"  # every built-in theme has its own stylesheet (epub/ is not a theme)
ALIASES = {"default": "novel"}

POINTS_PER_UNIT = {"pt": 1.0, "in": 72.0, "mm": 72.0 / 25.4, "cm": 72.0 / 2.54, "px": 0.75}

# name -> (width, height, unit); names are matched case-insensitively.
PRESETS: dict[str, tuple[float, float, str]] = {
    "a4": (210, 297, "mm"),
    "a5": (148, 210, "mm"),
    "a6": (105, 148, "mm"),
    "b5": (176, 250, "mm"),
    "jis-b5": (182, 257, "mm"),
    "b6": (125, 176, "mm"),
    "letter": (8.5, 11, "in"),
    "6x9in": (6, 9, "in"),
    "5.5x8.5in": (5.5, 8.5, "in"),
    "8x8in": (8, 8, "in"),
    "8.5x8.5in": (8.5, 8.5, "in"),
    "8x10in": (8, 10, "in"),
}

AUTO = "auto"
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(pt|in|mm|cm|px)\s*$")


@dataclass(frozen=True)
class PageSize:
    """A trimmed page size in points (1/72 in)."""

    width: float
    height: float

    @property
    def css(self) -> str:
        """The value for CSS `@page { size: ... }`."""
        return f"{fmt_pt(self.width)} {fmt_pt(self.height)}"

    def inches(self) -> tuple[float, float]:
        return self.width / 72.0, self.height / 72.0


def fmt_pt(points: float) -> str:
    """A CSS length in points, rounded so output is stable."""
    return f"{round(points, 3):g}pt"


def parse_length(text: str) -> float:
    """'12mm' -> points. Raises ConfigError on anything else."""
    match = _LENGTH.match(text)
    if not match:
        raise ConfigError(f"not a length: {text!r} (use a number with pt, in, mm, cm or px)")
    return float(match.group(1)) * POINTS_PER_UNIT[match.group(2)]


def parse_page(text: str, default: str = "A5") -> PageSize:
    """A preset name ('A5', 'Letter', '6x9in'), optionally followed by 'landscape',
    or a custom size 'W H' with units ('148mm 210mm', '6in 9in'). 'auto' means `default`."""
    words = text.strip().lower().split()
    if not words or words == [AUTO]:
        return parse_page(default)
    landscape = words[-1] == "landscape"
    if landscape or words[-1] == "portrait":
        words = words[:-1]
    size = _preset(words) if len(words) == 1 else _custom(words, text)
    if landscape:
        return PageSize(size.height, size.width)
    return size


def _preset(words: list[str]) -> PageSize:
    name = words[0]
    if name not in PRESETS:
        names = ", ".join(sorted(PRESETS))
        raise ConfigError(f"style.page: unknown page size {name!r}; use one of {names} or 'W H'")
    width, height, unit = PRESETS[name]
    factor = POINTS_PER_UNIT[unit]
    return PageSize(width * factor, height * factor)


def _custom(words: list[str], text: str) -> PageSize:
    if len(words) != 2:
        raise ConfigError(f"style.page: {text!r} is not a size; write e.g. '148mm 210mm'")
    try:
        width, height = (parse_length(w) for w in words)
    except ConfigError as exc:
        raise ConfigError(f"style.page: {text!r}: {exc}; write e.g. '148mm 210mm'") from exc
    if not (72.0 <= width <= 72.0 * 60 and 72.0 <= height <= 72.0 * 60):
        raise ConfigError(f"style.page: {text!r} is out of range (1in to 60in per side)")
    return PageSize(width, height)


def parse_margins(text: str) -> tuple[float, float, float, float]:
    """'18mm' (all sides), '20mm 15mm' (top/bottom, sides) or 'top outer bottom inner'."""
    values = [parse_length(word) for word in text.split()]
    if len(values) == 1:
        return values[0], values[0], values[0], values[0]
    if len(values) == 2:
        return values[0], values[1], values[0], values[1]
    if len(values) == 4:
        return values[0], values[1], values[2], values[3]
    raise ConfigError(f"style.margin: {text!r}; give 1, 2 or 4 lengths (top outer bottom inner)")


def theme_names() -> list[str]:
    """Built-in themes (folders of templates/ holding a THEME_MARKER, except base), plus aliases."""
    found = {p.name for p in TEMPLATES.iterdir() if _is_theme(p)}
    return sorted(found | set(ALIASES))


def _is_theme(folder: Path) -> bool:
    return folder.name != BASE and (folder / THEME_MARKER).is_file()


def resolve_theme(name: str) -> str:
    """The built-in folder a theme name refers to; ConfigError for unknown names."""
    folder = ALIASES.get(name, name)
    plain = folder and not folder.startswith(".") and "/" not in folder and "\\" not in folder
    if not (plain and _is_theme(TEMPLATES / folder)):
        raise ConfigError(
            f"style.theme: unknown theme {name!r}; built-in themes: {', '.join(theme_names())} "
            "(a book's theme/ folder overrides templates of the chosen theme)"
        )
    return folder


@dataclass(frozen=True)
class ThemeSettings:
    """What the Python side needs to know about a built-in theme."""

    default_page: str = "A5"
    full_page_images: bool = False  # images may fill the page (size print images to the page)
    margin_scale: float = 1.0  # default margins relative to the proportional ones


SETTINGS: dict[str, ThemeSettings] = {
    "picture-book": ThemeSettings(default_page="8x8in", full_page_images=True, margin_scale=0.8),
}


def theme_settings(name: str) -> ThemeSettings:
    return SETTINGS.get(resolve_theme(name), ThemeSettings())


def default_picture_size(
    theme: str, page: str, bleed: str | None, long_side: int, printing: bool = False
) -> tuple[int, int]:
    """The size a picture is generated at when neither it nor its preset names one: square for
    text-first themes; for themes whose pictures fill the page, the page's aspect with its
    bleed (0.125 in on a print target), so pictures run to the bleed whole. Sides are multiples
    of 8 (what diffusion services take)."""
    square = (long_side, long_side)
    try:
        settings = theme_settings(theme)
        if not settings.full_page_images:
            return square
        size = parse_page(page, default=settings.default_page)
        bleed_pt = 9.0 if printing else (parse_length(bleed) if bleed else 0.0)
    except ConfigError:
        return square  # validate reports it
    width, height = size.width + 2 * bleed_pt, size.height + 2 * bleed_pt
    scale = long_side / max(width, height)
    return max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8)


PRINT_BLEED_PT = 9.0  # 0.125 in, what KDP and IngramSpark take
MAX_SIDE = 2048  # the largest side an illustration may name


def cover_picture_size(
    shape: str, theme: str, page: str, bleed: str | None, budget: tuple[int, int], printing: bool
) -> tuple[int, int]:
    """The size the cover art is generated at for its `shape`: about as many pixels as
    `budget` (the preset's size), at the aspect of the front cover as printed (trim + bleed on
    the top, bottom and outside edge for a print wrap; the page + `bleed` all round
    otherwise) or of the whole wrap (both covers, the spine being unknown before layout).
    Sides are multiples of 8, at most MAX_SIDE."""
    try:
        size = parse_page(page, default=theme_settings(theme).default_page)
        extra = PRINT_BLEED_PT if printing else (parse_length(bleed) if bleed else 0.0)
    except ConfigError:
        return budget  # validate reports it
    width = (size.width + extra) if printing else (size.width + 2 * extra)
    if shape == "wrap":
        width = 2 * size.width + 2 * extra
    aspect = width / (size.height + 2 * extra)
    area = budget[0] * budget[1]
    w, h = math.sqrt(area * aspect), math.sqrt(area / aspect)
    scale = min(1.0, MAX_SIDE / max(w, h))
    return max(64, math.floor(w * scale / 8) * 8), max(64, math.floor(h * scale / 8) * 8)
