"""Print targets read back: boxes, PDF/X, the cover wrap, the preflight, --strict."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookbuild.errors import PreflightError
from bookbuild.render.cover import cover_html
from bookbuild.render.html import layout_for
from bookbuild.render.pdf import render_pdf
from bookbuild.render.printing import PRINTERS, cover_wrap
from bookbuild.render.view import BookView
from tests.helpers.render_views import english_book, illustration

TRIM_6X9 = (432.0, 648.0)
BLEED = 9.0  # 0.125 in


def for_print(view: BookView, target: str, paper: str = "white", page: str = "6x9in") -> BookView:
    style = dataclasses.replace(view.style, print_target=target, paper=paper, page=page)
    return dataclasses.replace(view, style=style)


def boxes(pdf: Path) -> dict[str, list[float]]:
    info = subprocess.run(["pdfinfo", "-box", str(pdf)], capture_output=True, text=True).stdout
    found = re.findall(r"^(\w+Box):\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", info, re.M)
    return {name: [float(v) for v in values] for name, *values in found}


def pages_of(pdf: Path) -> int:
    return len(PdfReader(pdf).pages)


@pytest.mark.parametrize("target", ["kdp", "ingramspark"])
def test_interior_has_trim_and_bleed_boxes_and_is_pdf_x4(tmp_path: Path, target: str) -> None:
    view = for_print(english_book(), target)
    view = dataclasses.replace(view, style=dataclasses.replace(view.style, print_bleed="always"))
    pdf = render_pdf(view, tmp_path, warn=lambda _: None)
    found = boxes(pdf)  # page 1: a right-hand page, no bleed at the spine (its left)
    trim, bleed = found["TrimBox"], found["BleedBox"]
    assert trim[2] - trim[0] == pytest.approx(TRIM_6X9[0], abs=0.1)
    assert trim[3] - trim[1] == pytest.approx(TRIM_6X9[1], abs=0.1)
    assert bleed[2] - bleed[0] == pytest.approx(TRIM_6X9[0] + BLEED, abs=0.1)
    assert bleed[3] - bleed[1] == pytest.approx(TRIM_6X9[1] + 2 * BLEED, abs=0.1)
    reader = PdfReader(pdf)
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFX"
    assert "CMYK" in str(intents[0].get_object()["/OutputConditionIdentifier"])
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert all(" cmyk " in line for line in images.stdout.splitlines()[2:])


@pytest.mark.parametrize(("paragraphs", "paper"), [(1, "white"), (14, "cream")])
def test_cover_wrap_width_is_two_trims_the_spine_and_the_bleed(
    tmp_path: Path, paragraphs: int, paper: str
) -> None:
    view = for_print(english_book(paragraphs=paragraphs), "kdp", paper)
    pdf = render_pdf(view, tmp_path, warn=lambda _: None)
    pages = pages_of(pdf)
    spine = pages * PRINTERS["kdp"].spine_per_page[paper] * 72
    media = boxes(tmp_path / "book-cover.pdf")["MediaBox"]
    assert media[2] - media[0] == pytest.approx(2 * TRIM_6X9[0] + spine + 2 * BLEED, abs=0.05)
    assert media[3] - media[1] == pytest.approx(TRIM_6X9[1] + 2 * BLEED, abs=0.05)


def test_spine_width_depends_on_pages_and_paper() -> None:
    kdp = for_print(english_book(), "kdp")
    trim = layout_for(kdp).page
    thin, thick = (
        cover_wrap(trim, PRINTERS["kdp"], 100, "white"),
        cover_wrap(trim, PRINTERS["kdp"], 300, "cream"),
    )
    assert thin.spine == pytest.approx(100 * 0.002252 * 72)
    assert thick.spine == pytest.approx(300 * 0.0025 * 72)
    assert thin.full_width == pytest.approx(2 * 432 + thin.spine + 18)


def test_spine_text_only_when_the_spine_is_wide_enough() -> None:
    view = for_print(english_book(), "kdp")
    layout = layout_for(view)
    narrow = cover_html(view, layout, cover_wrap(layout.page, PRINTERS["kdp"], 40, "white"), str)
    wide = cover_html(view, layout, cover_wrap(layout.page, PRINTERS["kdp"], 120, "white"), str)
    assert 'class="spine"' not in narrow and 'class="spine"' in wide
    assert 'class="barcode-area"' in narrow


def test_preflight_names_low_resolution_pictures_with_their_ppi(tmp_path: Path) -> None:
    small = illustration("small", (90, 140, 60), "A small picture", "small", size=(300, 200))
    small = dataclasses.replace(small, step="ch1/small/image")
    book = english_book()
    chapter = dataclasses.replace(book.chapters[0], illustrations=(small,))
    view = for_print(dataclasses.replace(book, chapters=(chapter,)), "kdp")
    warnings: list[str] = []
    pdf = render_pdf(view, tmp_path, warn=warnings.append)
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    ppi = int(listed.stdout.splitlines()[2].split()[12])
    assert ppi < 300
    found = [w for w in warnings if "ch1/small/image" in w]
    assert found and f" is {ppi} ppi" in found[0] and "upscale" in found[0]
    assert any("at least 24 pages" in w for w in warnings)


def test_strict_turns_preflight_warnings_into_an_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    with pytest.raises(PreflightError, match="at least 24 pages"):
        render_pdf(for_print(english_book(), "kdp"), tmp_path, strict=True)
    assert not (tmp_path / "book.pdf").exists() and not (tmp_path / "book-cover.pdf").exists()


def test_gutter_grows_with_the_page_count() -> None:
    from bookbuild.render.printing import gutter

    kdp = PRINTERS["kdp"]
    assert [gutter(kdp, n) / 72 for n in (24, 151, 301, 501, 701)] == [
        0.375,
        0.5,
        0.625,
        0.75,
        0.875,
    ]


def test_print_target_renders_are_byte_identical(tmp_path: Path) -> None:
    cover = illustration("cover", (200, 100, 50), None, "cover art", size=(600, 800))
    view = for_print(dataclasses.replace(english_book(), cover=cover, blurb="A race."), "kdp")
    first = render_pdf(view, tmp_path / "a", warn=lambda _: None)
    second = render_pdf(view, tmp_path / "b", warn=lambda _: None)
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a" / "book-cover.pdf").read_bytes() == (
        tmp_path / "b" / "book-cover.pdf"
    ).read_bytes()
    assert b"xmp.did:" in first.read_bytes()  # PDF/X-4 keeps its document id, a fixed one


def test_preflight_fix_for_your_own_picture_is_a_larger_file() -> None:
    from bookbuild.render.preflight import LowResolution
    from bookbuild.render.view import Provenance

    own = dataclasses.replace(
        illustration("own", (1, 2, 3), None, "own", size=(300, 200)),
        provenance=Provenance("file", "", None, ""),
        step="ch1/own/image",
    )
    message = LowResolution(own, 75, 4.0, 2.67).message
    assert "use a larger picture file" in message and "generate" not in message
    made = dataclasses.replace(own, provenance=Provenance("sdapi", "sdxl", 1, "p"))
    assert "generate it larger" in LowResolution(made, 75, 4.0, 2.67).message
