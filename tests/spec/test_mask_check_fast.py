"""validate checks a drawn mask's coverage (all black: repaints nothing; all white: repaints
everything) from its supersampled drawing when the shape is neither feathered nor inverted;
the answer is the one the scaled mask gives, for shapes of every kind and size."""

from __future__ import annotations

import random

import pytest

from bookbuild.spec.masks import coverage_problem, extrema_problem, render_shape, shape_extrema
from bookbuild.spec.models import MaskShape
from bookbuild.spec.validate import MASK_CHECK_SIZE


def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [max(0.0, min(1.0, v)) for v in (x0, y0, x1, y1)]


def shapes() -> list[MaskShape]:
    rng = random.Random(7)
    found = [
        MaskShape(rect=[0, 0, 1, 1]),  # everything
        MaskShape(rect=[0.1, 0.1, 0.1002, 0.1002]),  # a sliver under a subpixel: nothing
        MaskShape(rect=[0.1, 0.1, 0.1005, 0.1005]),  # about half a pixel
        MaskShape(rect=[0, 0, 1, 0.999]),  # all but the last subpixel row
        MaskShape(ellipse=[0, 0, 1, 1]),
        MaskShape(polygon=[[0, 0], [1, 0], [1, 1], [0, 1]]),
        MaskShape(polygon=[[0.2, 0.2], [0.2004, 0.2], [0.2, 0.2004]]),
    ]
    for _ in range(40):
        x0, y0 = rng.uniform(0, 0.99), rng.uniform(0, 0.99)
        x1, y1 = x0 + rng.choice([0.0005, 0.01, 0.5, 1.5]), y0 + rng.choice([0.0005, 0.3, 1.4])
        kind = rng.choice(["rect", "ellipse"])
        found.append(MaskShape(**{kind: box(x0, y0, x1, y1)}))
    return found


@pytest.mark.parametrize("shape", shapes())
def test_the_fast_check_says_what_the_scaled_mask_says(shape: MaskShape) -> None:
    scaled = coverage_problem(render_shape(shape, MASK_CHECK_SIZE))
    assert extrema_problem(shape_extrema(shape, MASK_CHECK_SIZE)) == scaled


def test_the_fast_check_finds_both_problems() -> None:
    everything = shape_extrema(MaskShape(rect=[0, 0, 1, 1]), MASK_CHECK_SIZE)
    nothing = shape_extrema(MaskShape(rect=[0.5, 0.5, 0.5001, 0.5001]), MASK_CHECK_SIZE)
    assert "all white" in str(extrema_problem(everything))
    assert "all black" in str(extrema_problem(nothing))
    assert extrema_problem(shape_extrema(MaskShape(rect=[0, 0, 0.5, 1]), MASK_CHECK_SIZE)) is None
