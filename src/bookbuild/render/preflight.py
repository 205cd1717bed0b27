"""Print preflight: what a printer would reject or print badly, found on the laid-out pages
before the PDF is written. Pictures under 300 ppi at their placed size (with the step that
made them and the fix), the printer's page-count rules, margins inside its safe zone."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .images import PRINT_DPI
from .pages import Layout
from .printing import INCH, Printer, page_count_issues
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


def margin_issues(layout: Layout, target: Printer) -> list[str]:
    """Text closer to the trim than the printer's safe zone."""
    low = target.outside_min * INCH
    sides = {"top": layout.top, "outside": layout.outer, "bottom": layout.bottom}
    return [
        f"the {side} margin ({value / INCH:.3f} in) is inside {target.label}'s safe zone "
        f"({target.outside_min} in); widen style.margin"
        for side, value in sides.items()
        if value < low - 0.01
    ]


def preflight(
    placements: Iterable[Placement],
    by_src: Mapping[str, IllustrationView],
    target: Printer,
    layout: Layout,
    pages: int,
) -> list[str]:
    """Every warning, in the order a reader of the report wants them."""
    pictures = [item.message for item in low_resolution(placements, by_src)]
    return [*pictures, *page_count_issues(target, pages), *margin_issues(layout, target)]
