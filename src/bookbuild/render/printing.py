"""Print targets (Amazon KDP, IngramSpark): what each printer asks of the files, and the
geometry that follows from it: bleed, gutter by page count, spine width by page count and
paper, the cover wrap. Pure functions; the figures are documented in the README."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.style import PageSize

from ..errors import ConfigError

INCH = 72.0  # points


@dataclass(frozen=True)
class Printer:
    """One print-on-demand service's rules for a paperback (inches unless named otherwise)."""

    name: str
    label: str
    min_pages: int
    max_pages: int
    spine_per_page: dict[str, float]  # paper -> inches of spine per page
    spine_text_min_pages: int  # fewer pages: the spine is left blank
    gutters: tuple[tuple[int, float], ...]  # (up to this many pages, inside margin)
    bleed: float = 0.125  # top, bottom and outside edge of each page (never at the spine)
    safe_with_bleed: float = 0.375  # every mark this far from the trim (top, bottom, outside)
    safe_without_bleed: float = 0.25
    ink_limit: int = 300  # total area coverage (C+M+Y+K, percent) the printer accepts
    barcode: tuple[float, float] = (2.0, 1.2)  # width, height kept clear on the back cover
    barcode_inset: float = 0.25  # from the back cover's bottom edge and its spine side
    spine_text_margin: float = 0.0625  # on each side of the spine text
    pdf_variant: str = "pdf/x-4"


KDP_GUTTERS = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (10_000, 0.875))

PRINTERS: dict[str, Printer] = {
    "kdp": Printer(
        name="kdp",
        label="Amazon KDP",
        min_pages=24,
        max_pages=828,
        spine_per_page={"white": 0.002252, "cream": 0.0025, "color": 0.002347},
        spine_text_min_pages=80,
        gutters=KDP_GUTTERS,
    ),
    "ingramspark": Printer(
        name="ingramspark",
        label="IngramSpark",
        min_pages=18,
        max_pages=1200,
        spine_per_page={"white": 0.00225, "cream": 0.0025, "color": 0.00235},
        spine_text_min_pages=48,
        gutters=KDP_GUTTERS,
        safe_with_bleed=0.5,  # its File Creation Guide: 0.5 in on all sides, folios included
        safe_without_bleed=0.5,
        ink_limit=240,  # its heavy-ink guidance for covers and colour interiors
    ),
}


def printer(name: str) -> Printer:
    if name not in PRINTERS:
        raise ConfigError(f"style.print: unknown target {name!r}; use {', '.join(PRINTERS)}")
    return PRINTERS[name]


def spine_width(target: Printer, pages: int, paper: str) -> float:
    """The spine in points: pages × the paper's thickness per page."""
    if paper not in target.spine_per_page:
        papers = ", ".join(target.spine_per_page)
        raise ConfigError(f"style.paper: {paper!r} is not offered by {target.label}; use {papers}")
    return pages * target.spine_per_page[paper] * INCH


def gutter(target: Printer, pages: int) -> float:
    """The inside margin (points) the printer asks for at this page count."""
    for up_to, inches in target.gutters:
        if pages <= up_to:
            return inches * INCH
    return target.gutters[-1][1] * INCH


@dataclass(frozen=True)
class CoverWrap:
    """One sheet: back cover, spine, front cover, with bleed all round (points)."""

    trim: PageSize
    spine: float
    bleed: float
    spine_text: bool
    barcode: tuple[float, float, float, float]  # x, y, width, height from the trim's top-left
    spine_text_margin: float

    @property
    def width(self) -> float:
        """The trimmed sheet: back + spine + front."""
        return 2 * self.trim.width + self.spine

    @property
    def full_width(self) -> float:
        return self.width + 2 * self.bleed

    @property
    def front_left(self) -> float:
        return self.trim.width + self.spine


def cover_wrap(trim: PageSize, target: Printer, pages: int, paper: str) -> CoverWrap:
    spine = spine_width(target, pages, paper)
    width, height = (v * INCH for v in target.barcode)
    inset = target.barcode_inset * INCH
    barcode = (trim.width - inset - width, trim.height - inset - height, width, height)
    return CoverWrap(
        trim=trim,
        spine=spine,
        bleed=target.bleed * INCH,
        spine_text=pages >= target.spine_text_min_pages,
        barcode=barcode,
        spine_text_margin=target.spine_text_margin * INCH,
    )


def page_count_issues(target: Printer, pages: int) -> list[str]:
    if pages < target.min_pages:
        return [
            f"{target.label} prints at least {target.min_pages} pages; the interior has {pages} "
            "(add chapters or text, or let the printer add blank pages at the end)"
        ]
    if pages > target.max_pages:
        return [f"{target.label} prints at most {target.max_pages} pages; the interior has {pages}"]
    return []
