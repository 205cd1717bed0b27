"""Print preflight: what a printer would reject or print badly, found on the laid-out pages
before the PDF is written. Pictures under 300 ppi at their placed size (with the step that
made them and the fix), the printer's page-count rules. The written files are checked by
`pdfcheck` (boxes, colours, fonts, safe zone, ink)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .images import PRINT_DPI
from .printing import Printer, page_count_issues
from .view import IllustrationView

CSS_PX_PER_INCH = 96.0


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


def preflight(
    placements: Iterable[Placement],
    by_src: Mapping[str, IllustrationView],
    target: Printer,
    pages: int,
) -> list[str]:
    """Every warning found on the laid-out pages, in the order a reader wants them (what is
    found on the written PDF comes from pdfcheck)."""
    pictures = [item.message for item in low_resolution(placements, by_src)]
    return [*pictures, *page_count_issues(target, pages)]
