"""Covers made for their shape: `cover: {shape: front | wrap}` generates the art at the front
cover's aspect (or across the whole wrap), the wrap is drawn from one picture, and the
preflight says when a cover picture is cropped to the front (read back from the PDFs)."""

from __future__ import annotations

import dataclasses
import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bookbuild.render.cover_colors import spine_side_colour
from bookbuild.render.pdf import render_pdf
from bookbuild.render.view import BookView, IllustrationView
from tests.conftest import copy_sample
from tests.helpers.render_views import english_book, illustration

RED, BLUE, GREEN = (200, 30, 30), (30, 60, 200), (40, 160, 60)


def two_halves(
    size: tuple[int, int], left: tuple[int, int, int], share: float = 0.5
) -> IllustrationView:
    """A picture whose left `share` is `left` and the rest blue."""
    image = Image.new("RGB", size, BLUE)
    image.paste(left, (0, 0, round(size[0] * share), size[1]))
    out = io.BytesIO()
    image.save(out, "PNG")
    art = illustration("cover", BLUE, "", "the cover", size=size)
    return dataclasses.replace(art, image=out.getvalue(), step="cover/cover/image")


def with_cover(art: IllustrationView, shape: str = "", **style: object) -> BookView:
    view = english_book()
    fields = {"cover_shape": shape, **style}
    return dataclasses.replace(
        view, cover=art, style=dataclasses.replace(view.style, **fields), blurb="A race."
    )


def raster(pdf: Path, tmp_path: Path, name: str) -> list[Image.Image]:
    prefix = tmp_path / name
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(prefix)], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob(f"{name}-*.png"))]


def near(pixel: object, colour: tuple[int, int, int], within: int = 45) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= within for a, b in zip(pixel, colour, strict=False))


def cover_size(tmp_path: Path, style: str, cover: str) -> tuple[int, int]:
    from bookbuild.graph.plan import plan_book
    from bookbuild.project import load_spec

    folder = copy_sample(
        "lighthouse-fox", tmp_path / style.replace(" ", "")[:40], defaults_version=1
    )
    spec = folder / "book.yaml"
    text = spec.read_text("utf-8").replace("{theme: default, page: A5}", style)
    spec.write_text(text + f"cover: {cover}\n", "utf-8")
    params = plan_book(load_spec(spec)).steps["cover/front/image"].params
    return params["width"], params["height"]


@pytest.mark.parametrize(
    ("style", "aspect"),
    [
        ("{page: 6x9in, print: kdp}", 6.125 / 9.25),  # bleed on the outside edge, top, bottom
        ("{page: 8x8in, print: ingramspark, theme: picture-book}", 8.125 / 8.25),
        ("{page: A5}", 148 / 210),  # no print target: the page
    ],
)
def test_cover_with_shape_front_is_generated_at_the_front_covers_aspect(
    tmp_path: Path, style: str, aspect: float
) -> None:
    cover = '{id: front, prompt: "a fox", seed: 5, shape: front}'
    width, height = cover_size(tmp_path, style, cover)
    assert width / height == pytest.approx(aspect, rel=0.02)
    assert width % 8 == 0 and height % 8 == 0
    assert width * height == pytest.approx(768 * 512, rel=0.03)  # the preset's pixels


def test_wrap_shape_spans_both_covers_and_own_size_wins(tmp_path: Path) -> None:
    style = "{page: 6x9in, print: kdp}"
    width, height = cover_size(tmp_path, style, '{id: front, prompt: "a fox", shape: wrap}')
    assert width / height == pytest.approx(12.25 / 9.25, rel=0.02)
    own = '{id: front, prompt: "a fox", shape: wrap, width: 512, height: 512}'
    assert cover_size(tmp_path / "own", style, own) == (512, 512)
    assert cover_size(tmp_path / "none", style, '{id: front, prompt: "a fox"}') == (768, 512)


def test_wrap_art_runs_across_back_spine_and_front(tmp_path: Path) -> None:
    art = two_halves((1176, 888), RED)
    view = with_cover(art, "wrap", print_target="kdp", page="6x9in")
    warnings: list[str] = []
    render_pdf(view, tmp_path, warn=warnings.append)
    [wrap] = raster(tmp_path / "book-cover.pdf", tmp_path, "wrap")
    assert near(wrap.getpixel((wrap.width // 8, wrap.height * 9 // 10)), RED)  # the back
    assert near(wrap.getpixel((wrap.width * 7 // 8, wrap.height * 9 // 10)), BLUE)  # the front
    listed = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "book-cover.pdf")], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(listed) == 1  # one picture, drawn once across the sheet
    ppi = [w for w in warnings if w.startswith("preflight: cover/cover/image")]
    assert ppi and "placed at 12.2" in ppi[0]  # its ppi is checked on the whole wrap
    assert not any("cropped" in w for w in warnings)


def test_screen_cover_with_wrap_art_shows_each_half_on_its_page(tmp_path: Path) -> None:
    render_pdf(with_cover(two_halves((1040, 736), RED), "wrap"), tmp_path, warn=lambda _: None)
    front, back = raster(tmp_path / "book-cover.pdf", tmp_path, "screen")
    assert near(front.getpixel((front.width // 2, front.height * 9 // 10)), BLUE)
    assert near(back.getpixel((back.width // 2, back.height * 9 // 10)), RED)


def test_preflight_says_a_cover_cropped_to_the_front_and_names_the_shape(
    tmp_path: Path,
) -> None:
    landscape = dataclasses.replace(
        illustration("cover", GREEN, "", "cover", size=(3000, 2000)), step="cover/cover/image"
    )
    warnings: list[str] = []
    render_pdf(
        with_cover(landscape, print_target="kdp", page="6x9in"), tmp_path, warn=warnings.append
    )
    cropped = [w for w in warnings if "cropped" in w]
    assert len(cropped) == 1 and cropped[0].startswith("preflight: cover/cover/image: 3000x2000")
    assert "44% of the picture shows" in cropped[0] and "shape: front" in cropped[0]
    portrait = dataclasses.replace(
        illustration("cover", GREEN, "", "cover", size=(2000, 3020)), step="cover/cover/image"
    )
    warnings.clear()
    render_pdf(
        with_cover(portrait, print_target="kdp", page="6x9in"), tmp_path, warn=warnings.append
    )
    assert not any("cropped" in w for w in warnings)


def test_spine_colour_comes_from_the_strip_that_shows_on_the_front() -> None:
    art = two_halves((1500, 1000), RED, 0.25)  # its left 28% is cropped off the front
    shown = spine_side_colour(art.image, 6.125 / 9.25)
    whole = spine_side_colour(art.image)
    as_rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (shown, whole)]
    assert near(as_rgb[0], BLUE, 20) and near(as_rgb[1], RED, 20)
    middle = spine_side_colour(two_halves((1500, 1000), RED).image, middle=True)  # a wrap
    mixed = tuple(int(middle[i : i + 2], 16) for i in (1, 3, 5))
    assert not near(mixed, RED, 20) and not near(mixed, BLUE, 20)


def test_epub_and_site_covers_show_the_front_half_of_wrap_art(tmp_path: Path) -> None:
    import zipfile

    from bookbuild.render.epub import render_epub
    from bookbuild.render.html import render_html

    view = with_cover(two_halves((1040, 736), RED), "wrap")
    with zipfile.ZipFile(render_epub(view, tmp_path)) as archive:
        opf = archive.read("OEBPS/content.opf").decode()
        href = opf.split('properties="cover-image"')[0].rsplit('href="', 1)[1].split('"')[0]
        cover = Image.open(io.BytesIO(archive.read(f"OEBPS/{href}"))).convert("RGB")
    assert cover.size == (520, 736)
    assert near(cover.getpixel((10, 10)), BLUE, 5)  # the right half only: no red
    render_html(view, tmp_path / "site")
    shown = [Image.open(p).size for p in (tmp_path / "site" / "assets").glob("*.png")]
    assert (520, 736) in shown and (1040, 736) not in shown


def test_a_described_cover_with_a_shape_asks_the_describer_for_its_composition(
    tmp_path: Path,
) -> None:
    from bookbuild.graph.plan import plan_book
    from bookbuild.project import load_spec

    notes = {}
    for shape in ("", ", shape: front", ", shape: wrap"):
        folder = copy_sample("lighthouse-fox", tmp_path / f"s{len(notes)}", defaults_version=1)
        spec = folder / "book.yaml"
        cover = f'cover: {{id: front, describe: "watercolour cover", seed: 5{shape}}}\n'
        spec.write_text(spec.read_text("utf-8") + cover, "utf-8")
        notes[shape] = plan_book(load_spec(spec)).steps["cover/front/prompt"].params["style"]
    assert notes[""] == "watercolour cover"  # as before: the step's key does not move
    assert notes[", shape: front"].startswith("watercolour cover; portrait book-cover")
    assert "right half is the front cover" in notes[", shape: wrap"]


@pytest.mark.parametrize("pdf_x", ["x-4", "x-1a"])
def test_a_wrap_cover_passes_the_read_back_preflight(tmp_path: Path, pdf_x: str) -> None:
    art = two_halves((1176, 888), RED)
    view = with_cover(art, "wrap", print_target="kdp", page="6x9in", pdf_x=pdf_x)
    warnings: list[str] = []
    render_pdf(view, tmp_path, warn=warnings.append)
    read_back = [w for w in warnings if w.startswith("preflight: cover")]
    assert read_back and all(w.startswith("preflight: cover/cover/image") for w in read_back)
