"""Page layout: margins, bleed and the CSS page box (sizes and lengths are parsed in
`bookbuild.style`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..style import POINTS_PER_UNIT, PageSize, fmt_pt, parse_length, parse_margins


@dataclass(frozen=True)
class Layout:
    """Trim size, margins and bleed of the book's pages, in points. `outer` is the fore-edge
    side and `inner` the gutter (binding) side of each page."""

    page: PageSize
    top: float
    outer: float
    bottom: float
    inner: float
    bleed: float = 0.0

    @property
    def content_inches(self) -> tuple[float, float]:
        """The text block (page minus margins), in inches."""
        width = self.page.width - self.outer - self.inner
        height = self.page.height - self.top - self.bottom
        return width / 72.0, height / 72.0

    @property
    def bleed_inches(self) -> tuple[float, float]:
        """The whole page with its bleed on every side, in inches."""
        return (
            (self.page.width + 2 * self.bleed) / 72.0,
            (self.page.height + 2 * self.bleed) / 72.0,
        )

    def css(self, name: str) -> str:
        """A CSS length: 'top', 'outer', 'bottom', 'inner', 'bleed', 'width', 'height',
        'bleed_width', 'bleed_height' (page plus bleed on both sides)."""
        values = {
            "top": self.top,
            "outer": self.outer,
            "bottom": self.bottom,
            "inner": self.inner,
            "bleed": self.bleed,
            "width": self.page.width,
            "height": self.page.height,
            "bleed_width": self.page.width + 2 * self.bleed,
            "bleed_height": self.page.height + 2 * self.bleed,
        }
        return fmt_pt(values[name])


def default_margins(page: PageSize, scale: float = 1.0) -> tuple[float, float, float, float]:
    """A tenth of the short side (within 12-25 mm), a wider gutter and a deeper foot."""
    mm = POINTS_PER_UNIT["mm"]
    base = min(max(0.1 * min(page.width, page.height), 12 * mm), 25 * mm) * scale
    return base, base, base * 1.3, base * 1.15


def page_layout(
    page: PageSize, margin: str | None = None, bleed: str | None = None, scale: float = 1.0
) -> Layout:
    """The page's layout from `style.margin`/`style.bleed` or proportional defaults."""
    top, outer, bottom, inner = parse_margins(margin) if margin else default_margins(page, scale)
    bleed_pt = parse_length(bleed) if bleed else 0.0
    if bleed_pt > 72.0:
        raise ConfigError(f"style.bleed: {bleed!r} is more than 1in")
    if outer + inner >= page.width or top + bottom >= page.height:
        raise ConfigError(f"style.margin: {margin!r} leaves no room on the page")
    return Layout(page, top, outer, bottom, inner, bleed_pt)
