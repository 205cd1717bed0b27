"""Printer-correct page geometry for a print target: bleed on the top, bottom and outside
edge of each page only (never at the spine), no bleed when nothing on the pages bleeds, the
safe zone every mark on the page keeps from the trim (running heads and folios included), the
gutter by page count, and an even page count. Pure functions; pdf.py applies them."""

from __future__ import annotations

from dataclasses import dataclass

from ..style import fmt_pt, theme_settings
from .pages import Layout
from .printing import INCH, Printer, gutter
from .view import BookView

MM = 72.0 / 25.4

# Running heads (top of the page) and folios (page numbers, at the foot): their type and the
# gap between them and the text block. The theme stylesheets read these (template `running`).
HEAD_PT = 8.0
HEAD_LINE = 1.25  # line-height of a running head (one line: long titles are cut)
HEAD_GAP = 4 * MM  # from the running head's baseline box to the text block
FOLIO_PT = 8.5
FOLIO_LINE = 1.25
FOLIO_GAP = 4 * MM
FONT_BOX = 1.45  # a glyph box (ascent + descent) in ems: taller than the line it sits on
HEAD_CHARS = 48  # a running head longer than this is cut at a word with an ellipsis


@dataclass(frozen=True)
class Running:
    """What the stylesheets need to place running heads and folios (points)."""

    head_pt: float = HEAD_PT
    head_line: float = HEAD_LINE
    head_gap: float = HEAD_GAP
    folio_pt: float = FOLIO_PT
    folio_line: float = FOLIO_LINE
    folio_gap: float = FOLIO_GAP

    @property
    def head_band(self) -> float:
        """Height from the top of the running head's glyphs to the text block."""
        return self.head_pt * (self.head_line + FONT_BOX) / 2 + self.head_gap

    @property
    def folio_band(self) -> float:
        return self.folio_pt * (self.folio_line + FONT_BOX) / 2 + self.folio_gap


RUNNING = Running()


def bleeds(view: BookView) -> bool:
    """Whether the interior carries bleed: `style.print_bleed` (always/never), else whether
    anything on the pages runs to the edge (a theme of full-page pictures)."""
    if view.style.print_bleed == "always":
        return True
    if view.style.print_bleed == "never":
        return False
    return theme_settings(view.style.theme).full_page_images


def safe_zone(target: Printer, bleed: bool) -> float:
    """Points every mark keeps from the trim (top, bottom and outside)."""
    return (target.safe_with_bleed if bleed else target.safe_without_bleed) * INCH


@dataclass(frozen=True)
class PrintGeometry:
    """The interior's geometry for one page count (points)."""

    bleed: float  # 0 or the printer's bleed (top, bottom, outside)
    safe: float  # top, bottom and outside distance of every mark from the trim
    gutter: float  # inside margin (spine side) for this page count
    top: float
    outer: float
    bottom: float
    inner: float

    @property
    def margin(self) -> str:
        """`style.margin` (top outer bottom inner)."""
        return " ".join(fmt_pt(v) for v in (self.top, self.outer, self.bottom, self.inner))

    def safe_box(self, width: float, height: float, right_page: bool) -> tuple[float, ...]:
        """(left, top, right, bottom) of the safe area of a trimmed page, from its top-left."""
        left = self.gutter if right_page else self.safe
        right = width - (self.safe if right_page else self.gutter)
        return left, self.safe, right, height - self.safe


def print_geometry(
    layout: Layout, target: Printer, pages: int, bleed: bool, running: Running = RUNNING
) -> PrintGeometry:
    """The book's margins widened so that the running heads and folios (which sit in the
    margins) stay inside the safe zone, the outside margin is at least the safe zone, and
    the inside margin at least the gutter of this (even) page count."""
    safe = safe_zone(target, bleed)
    inside = max(gutter(target, pages + pages % 2), safe)
    return PrintGeometry(
        bleed=target.bleed * INCH if bleed else 0.0,
        safe=safe,
        gutter=inside,
        top=max(layout.top, safe + running.head_band),
        outer=max(layout.outer, safe),
        bottom=max(layout.bottom, safe + running.folio_band),
        inner=max(layout.inner, inside),
    )


def page_bleed_css(bleed: float) -> str:
    """CSS giving each page its bleed on the top, bottom and outside edge only: a right-hand
    (recto) page binds on its left, a left-hand (verso) page on its right."""
    b = fmt_pt(bleed)
    return (
        f"@page {{ bleed: {b}; marks: none; }}\n"
        f"@page :right {{ bleed: {b} {b} {b} 0; }}\n"
        f"@page :left {{ bleed: {b} 0 {b} {b}; }}\n"
    )


def running_title(title: str, limit: int = HEAD_CHARS) -> str:
    """A title short enough for one line of running head: cut at a word, with an ellipsis."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"
