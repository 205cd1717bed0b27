"""Masks that cannot mean what they say are errors before any call (issue 9, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bookbuild.errors import SpecError
from bookbuild.project import load_spec
from bookbuild.spec.masks import aspect_warning, coverage_problem, to_mask

SPEC = """\
title: Masks
models:
  p: {provider: offline}
defaults: {image: p}
chapters:
  - id: a
    title: A
    text: hi
    illustrations:
      - prompt: a hill
        edits:
          - inpaint: {mask: MASK, prompt: a hat}
"""


def write_book(tmp_path: Path, mask: str) -> Path:
    (tmp_path / "book.yaml").write_text(SPEC.replace("MASK", mask), encoding="utf-8")
    return tmp_path


def save(tmp_path: Path, image: Image.Image) -> str:
    (tmp_path / "masks").mkdir(exist_ok=True)
    image.save(tmp_path / "masks" / "m.png")
    return "masks/m.png"


def test_an_all_black_painted_mask_is_an_error_at_its_line(tmp_path: Path) -> None:
    mask = save(tmp_path, Image.new("L", (64, 64), 0))
    with pytest.raises(SpecError, match=r"book.yaml:12:\d+: the mask is all black"):
        load_spec(write_book(tmp_path, mask))


def test_an_all_white_mask_is_explained_as_a_new_picture(tmp_path: Path) -> None:
    mask = save(tmp_path, Image.new("L", (64, 64), 255))
    with pytest.raises(SpecError, match=r"all white.*new picture.*img2img"):
        load_spec(write_book(tmp_path, mask))
    with pytest.raises(SpecError, match="all white"):
        load_spec(write_book(tmp_path, "{rect: [0, 0, 1, 1]}"))


def test_an_inverted_shape_covering_everything_repaints_nothing(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="all black"):
        load_spec(write_book(tmp_path, "{rect: [0, 0, 1, 1], invert: true}"))


def test_a_partial_mask_is_fine(tmp_path: Path) -> None:
    painted = Image.new("L", (64, 64), 0)
    painted.paste(255, (10, 10, 30, 30))
    load_spec(write_book(tmp_path, save(tmp_path, painted)))
    load_spec(write_book(tmp_path, "{ellipse: [0.1, 0.1, 0.5, 0.5]}"))


def test_rgba_strokes_on_a_transparent_layer_select_where_they_are_opaque() -> None:
    """The seed's Gradio app saves sketch strokes (here black) on a transparent layer."""
    layer = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    layer.paste((0, 0, 0, 255), (5, 5, 20, 20))
    mask = to_mask(layer)
    assert mask.getpixel((10, 10)) == 255  # opaque stroke: repaint
    assert mask.getpixel((30, 30)) == 0  # transparent: keep
    assert coverage_problem(mask) is None


def test_an_opaque_rgba_mask_reads_as_white_on_black() -> None:
    opaque = Image.new("RGBA", (40, 40), (0, 0, 0, 255))
    opaque.paste((255, 255, 255, 255), (0, 0, 10, 10))
    mask = to_mask(opaque)
    assert mask.getpixel((5, 5)) == 255
    assert mask.getpixel((30, 30)) == 0


def test_a_mask_of_another_shape_is_warned_as_stretched() -> None:
    assert aspect_warning((512, 512), (768, 512)) is not None
    assert "stretched" in (aspect_warning((512, 512), (768, 512)) or "")
    assert aspect_warning((384, 256), (768, 512)) is None
