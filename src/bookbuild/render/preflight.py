"""Print preflight: what a printer would reject or print badly, found on the laid-out pages
before the PDF is written. Pictures under 300 ppi at their placed size (with the step that
made them and the fix), pictures cropped to their box by more than a sixth (a cover generated
at another shape), the printer's page-count rules. The written files are checked by
`pdfcheck` (boxes, colours, fonts, safe zone, ink)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .images import PRINT_DPI
from .printing import Printer, page_count_issues
from .view import IllustrationView

CSS_PX_PER_INCH = 96.0
MIN_SHOWN = 5 / 6  # a picture cropped to less than this share of itself is flagged


@dataclass(frozen=True)
class Placement:
    """An <img> as laid out: its source URL, content box in CSS px and object-fit."""

    src: str
    width: float
    height: float
    fit: str = "fill"


@dataclass(frozen=True)
class LowResolution:
    illustration: IllustrationView
    ppi: int
    width_in: float
    height_in: float

    @property
    def message(self) -> str:
        ill = self.illustration
        step = ill.step or ill.id
        scale = max(2, math.ceil(PRINT_DPI / max(self.ppi, 1)))
        by_model = ill.provenance is not None and ill.provenance.model_line != ""
        larger = "generate it larger (width/height)" if by_model else "use a larger picture file"
        edits = ill.provenance.edits if ill.provenance is not None else ()
        if "upscale" in edits:
            return (
                f"{step}: {ill.width}x{ill.height} px (already upscaled in its edits) placed at "
                f"{self.width_in:.2f}x{self.height_in:.2f} in is {self.ppi} ppi (print needs "
                f"{PRINT_DPI}); raise its upscale to {{scale: {scale}}} more or {larger}"
            )
        return (
            f"{step}: {ill.width}x{ill.height} px placed at {self.width_in:.2f}x"
            f"{self.height_in:.2f} in is {self.ppi} ppi (print needs {PRINT_DPI}); "
            f"add `- upscale: {{scale: {scale}}}` to its edits or {larger}"
        )


def drawn_inches(placement: Placement, aspect: float) -> tuple[float, float]:
    """The size the picture is drawn at (object-fit cover/contain change it from the box)."""
    width, height = placement.width, placement.height
    if placement.fit == "cover":
        width = max(width, height * aspect)
    elif placement.fit in ("contain", "scale-down"):
        width = min(width, height * aspect)
    if placement.fit in ("cover", "contain", "scale-down"):
        height = width / aspect
    return width / CSS_PX_PER_INCH, height / CSS_PX_PER_INCH


def low_resolution(
    placements: Iterable[Placement], by_src: Mapping[str, IllustrationView]
) -> list[LowResolution]:
    """Each picture once, at its largest placement, when that is under PRINT_DPI."""
    worst: dict[str, LowResolution] = {}
    for placed in placements:
        ill = by_src.get(placed.src)
        if ill is None or ill.width <= 0 or ill.height <= 0:
            continue
        width_in, height_in = drawn_inches(placed, ill.width / ill.height)
        if width_in <= 0:
            continue
        ppi = math.floor(ill.width / width_in)
        found = LowResolution(ill, ppi, width_in, height_in)
        if placed.src not in worst or ppi < worst[placed.src].ppi:
            worst[placed.src] = found
    return [item for item in worst.values() if item.ppi < PRINT_DPI]


def shown_share(placement: Placement, aspect: float) -> float:
    """The share of the picture that shows in its box (object-fit: cover crops the rest)."""
    width, height = drawn_inches(placement, aspect)
    if placement.fit != "cover" or width <= 0 or height <= 0:
        return 1.0
    box = placement.width * placement.height / CSS_PX_PER_INCH**2
    return min(1.0, box / (width * height))


def cropped(
    placements: Iterable[Placement],
    by_src: Mapping[str, IllustrationView],
    cover: IllustrationView | None = None,
    cover_fix: str = "",
) -> list[str]:
    """Each picture once that its box crops to under MIN_SHOWN of itself, with the fix
    (`cover_fix`: the build's, with what it costs; else the cover's own field)."""
    found: dict[str, str] = {}
    for placed in placements:
        ill = by_src.get(placed.src)
        if ill is None or ill.width <= 0 or ill.height <= 0 or placed.src in found:
            continue
        share = shown_share(placed, ill.width / ill.height)
        if share >= MIN_SHOWN:
            continue
        box = f"{placed.width / CSS_PX_PER_INCH:.2f}x{placed.height / CSS_PX_PER_INCH:.2f} in"
        fix = (
            (
                cover_fix
                or "give the cover `shape: front` (or `shape: wrap`) to generate it at the "
                "cover's shape (a new picture)"
            )
            if ill is cover
            else "generate it at the page's shape (width/height)"
        )
        found[placed.src] = (
            f"{ill.step or ill.id}: {ill.width}x{ill.height} px is cropped to its "
            f"{box} box: {round(share * 100)}% of the picture shows; {fix}"
        )
    return list(found.values())


def preflight(
    placements: Iterable[Placement],
    by_src: Mapping[str, IllustrationView],
    target: Printer,
    pages: int,
    cover: IllustrationView | None = None,
    cover_fix: str = "",
) -> list[str]:
    """Every warning found on the laid-out pages, in the order a reader wants them (what is
    found on the written PDF comes from pdfcheck)."""
    placed = list(placements)
    pictures = [item.message for item in low_resolution(placed, by_src)]
    shapes = cropped(placed, by_src, cover, cover_fix)
    return [*pictures, *shapes, *page_count_issues(target, pages)]
