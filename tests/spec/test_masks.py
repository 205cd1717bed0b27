"""Masks: shapes in fractions and painted PNGs become an "L" mask at the image's size."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from bookbuild.errors import MaskError, UserError
from bookbuild.spec.masks import mask_png, render_mask, render_shape, shape_extrema, to_mask
from bookbuild.spec.models import MaskShape

SIZES = [(64, 64), (512, 512), (768, 512), (300, 1000)]


def _coverage(mask: Image.Image) -> float:
    histogram = mask.histogram()
    return sum(v * n for v, n in enumerate(histogram)) / (255 * mask.width * mask.height)


@pytest.mark.parametrize("size", SIZES)
def test_rect_covers_its_box_exactly(size: tuple[int, int], tmp_path: Path) -> None:
    mask = render_mask(MaskShape(rect=[0.25, 0.25, 0.75, 0.75]), size, tmp_path)
    w, h = size
    assert mask.mode == "L" and mask.size == size
    assert mask.getpixel((w // 2, h // 2)) == 255
    assert mask.getpixel((0, 0)) == 0 and mask.getpixel((w - 1, h - 1)) == 0
    assert mask.getpixel((w // 4 - 2, h // 2)) == 0
    assert mask.getpixel((3 * w // 4 + 1, h // 2)) == 0
    assert _coverage(mask) == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize("size", SIZES)
def test_ellipse_is_round_and_in_its_box(size: tuple[int, int], tmp_path: Path) -> None:
    mask = render_mask(MaskShape(ellipse=[0.0, 0.0, 1.0, 1.0]), size, tmp_path)
    w, h = size
    assert mask.size == size
    assert mask.getpixel((w // 2, h // 2)) == 255
    assert mask.getpixel((0, 0)) == 0 and mask.getpixel((w - 1, 0)) == 0
    assert _coverage(mask) == pytest.approx(3.14159 / 4, abs=0.02)


@pytest.mark.parametrize("size", SIZES)
def test_polygon_triangle_covers_half_its_box(size: tuple[int, int], tmp_path: Path) -> None:
    shape = MaskShape(polygon=[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mask = render_mask(shape, size, tmp_path)
    w, h = size
    assert mask.getpixel((w // 8, h // 8)) == 255
    assert mask.getpixel((w - 1 - w // 8, h - 1 - h // 8)) == 0
    assert _coverage(mask) == pytest.approx(0.5, abs=0.03)


def test_feather_softens_the_edge(tmp_path: Path) -> None:
    hard = render_mask(MaskShape(rect=[0.25, 0.25, 0.75, 0.75]), (400, 400), tmp_path)
    soft = render_mask(MaskShape(rect=[0.25, 0.25, 0.75, 0.75], feather=0.05), (400, 400), tmp_path)
    row_hard = list(hard.crop((60, 200, 140, 201)).tobytes())
    row_soft = list(soft.crop((60, 200, 140, 201)).tobytes())
    assert sum(1 for v in row_hard if 0 < v < 255) <= 2
    assert sum(1 for v in row_soft if 0 < v < 255) > 20
    assert soft.getpixel((200, 200)) == 255 and soft.getpixel((5, 5)) == 0


def test_invert_flips_the_mask(tmp_path: Path) -> None:
    shape = MaskShape(rect=[0.1, 0.1, 0.5, 0.5])
    plain = render_mask(shape, (200, 100), tmp_path)
    inverted = render_mask(shape.model_copy(update={"invert": True}), (200, 100), tmp_path)
    assert all(a + b == 255 for a, b in zip(plain.tobytes(), inverted.tobytes(), strict=True))


def test_list_of_shapes_is_their_union(tmp_path: Path) -> None:
    shapes = [MaskShape(rect=[0.0, 0.0, 0.5, 1.0]), MaskShape(rect=[0.5, 0.0, 1.0, 1.0])]
    mask = render_mask(shapes, (100, 50), tmp_path)
    assert mask.getextrema() == (255, 255)
    assert render_mask([], (10, 10), tmp_path).getextrema() == (0, 0)


def test_shapes_are_deterministic(tmp_path: Path) -> None:
    shape = MaskShape(ellipse=[0.1, 0.2, 0.8, 0.9], feather=0.02)
    first = mask_png(render_mask(shape, (333, 222), tmp_path))
    assert first == mask_png(render_mask(shape, (333, 222), tmp_path))
    assert Image.open(io.BytesIO(first)).mode == "L"


def _save_png(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")


def test_png_mask_is_scaled_to_the_image(tmp_path: Path) -> None:
    painted = Image.new("L", (100, 100), 0)
    ImageDraw.Draw(painted).rectangle((0, 0, 49, 99), fill=255)  # left half white
    _save_png(painted, tmp_path / "masks" / "half.png")
    mask = render_mask("masks/half.png", (640, 320), tmp_path)
    assert mask.size == (640, 320) and mask.mode == "L"
    assert mask.getpixel((100, 160)) == 255
    assert mask.getpixel((500, 160)) == 0
    assert mask.getpixel((639, 0)) == 0  # no ringing: the keep side stays exactly 0


def test_png_mask_shrinks_too(tmp_path: Path) -> None:
    painted = Image.new("L", (1000, 1000), 0)
    ImageDraw.Draw(painted).ellipse((250, 250, 749, 749), fill=255)
    _save_png(painted, tmp_path / "m.png")
    mask = render_mask("m.png", (100, 100), tmp_path)
    assert mask.getpixel((50, 50)) == 255 and mask.getpixel((2, 2)) == 0


def test_rgba_mask_uses_luminance_and_transparent_is_keep(tmp_path: Path) -> None:
    painted = Image.new("RGBA", (40, 20), (255, 255, 255, 0))  # transparent white: keep
    ImageDraw.Draw(painted).rectangle((0, 0, 19, 19), fill=(255, 255, 255, 255))
    _save_png(painted, tmp_path / "a.png")
    mask = render_mask("a.png", (40, 20), tmp_path)
    assert mask.getpixel((5, 5)) == 255 and mask.getpixel((30, 5)) == 0


def test_rgb_and_palette_masks_use_luminance(tmp_path: Path) -> None:
    rgb = Image.new("RGB", (10, 10), (0, 0, 0))
    rgb.putpixel((0, 0), (255, 255, 255))
    assert to_mask(rgb).getpixel((0, 0)) == 255
    assert to_mask(rgb.convert("P")).getpixel((0, 0)) == 255
    assert to_mask(rgb.convert("LA")).getpixel((1, 1)) == 0
    assert to_mask(Image.new("I;16", (4, 4), 65535)).getpixel((0, 0)) == 255


def test_path_leaving_the_book_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    _save_png(Image.new("L", (8, 8), 255), tmp_path / "outside.png")
    with pytest.raises(MaskError, match="leaves the book folder"):
        render_mask("../outside.png", (8, 8), book)
    with pytest.raises(MaskError, match="leaves the book folder"):
        render_mask(str(tmp_path / "outside.png"), (8, 8), book)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_leaving_the_book_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    _save_png(Image.new("L", (8, 8), 255), tmp_path / "outside.png")
    (book / "link.png").symlink_to(tmp_path / "outside.png")
    with pytest.raises(MaskError, match="leaves the book folder"):
        render_mask("link.png", (8, 8), book)


def test_missing_mask_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"mask file not found: masks/none\.png"):
        render_mask("masks/none.png", (8, 8), tmp_path)


def test_a_shape_drawn_again_is_the_same_mask_and_a_new_image() -> None:
    shape = MaskShape(ellipse=[0.1, 0.2, 0.7, 0.9], feather=0.02)
    first = render_shape(shape, (300, 200))
    first.paste(0, (0, 0, 300, 200))  # a caller that draws on its mask changes only its copy
    again = render_shape(shape, (300, 200))
    assert again.getextrema() == (0, 255)
    assert again.tobytes() == render_shape(shape.model_copy(), (300, 200)).tobytes()
    assert shape_extrema(shape, (300, 200)) == again.getextrema()
