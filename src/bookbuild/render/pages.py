"""Page sizes: named presets and custom "W H" sizes with units, in PostScript points."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError

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
    width, height = (parse_length(w) for w in words)
    if not (72.0 <= width <= 72.0 * 60 and 72.0 <= height <= 72.0 * 60):
        raise ConfigError(f"style.page: {text!r} is out of range (1in to 60in per side)")
    return PageSize(width, height)


@dataclass(frozen=True)
class Layout:
    """Trim size, margins and bleed of the book's pages, in points."""

    page: PageSize
    margin: float  # top and outer margin
    inner: float  # gutter side
    bottom: float  # room for the page number
    bleed: float = 0.0

    @property
    def content_inches(self) -> tuple[float, float]:
        """The text block (page minus margins), in inches."""
        width = self.page.width - self.margin - self.inner
        height = self.page.height - self.margin - self.bottom
        return width / 72.0, height / 72.0

    @property
    def bleed_inches(self) -> tuple[float, float]:
        """The whole page with its bleed on every side, in inches."""
        return (
            (self.page.width + 2 * self.bleed) / 72.0,
            (self.page.height + 2 * self.bleed) / 72.0,
        )

    def css(self, name: str) -> str:
        """A CSS length for 'margin', 'inner', 'bottom', 'bleed', 'width' or 'height'."""
        values = {
            "margin": self.margin,
            "inner": self.inner,
            "bottom": self.bottom,
            "bleed": self.bleed,
            "width": self.page.width,
            "height": self.page.height,
        }
        return fmt_pt(values[name])


def page_layout(page: PageSize, bleed: float = 0.0) -> Layout:
    """Margins in proportion to the page: a tenth of the short side, within 12-25 mm."""
    mm = POINTS_PER_UNIT["mm"]
    margin = min(max(0.1 * min(page.width, page.height), 12 * mm), 25 * mm)
    return Layout(page, margin, margin * 1.15, margin * 1.3, bleed)
