"""Print targets read back from the written files: per-side bleed boxes, the safe zone of
running heads and folios (pdftotext -bbox), even page counts, no DeviceRGB, the output
intent's /N, the trailer /ID, cover ppi and total ink."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from bookbuild.render.geometry import print_geometry, running_title
from bookbuild.render.html import layout_for
from bookbuild.render.ink import cmyk_css, cmyk_html, limit_ink
from bookbuild.render.pdf import html_to_pdf, render_pdf
from bookbuild.render.pdfcheck import Expect, check_pdf, ink_coverage, text_boxes
from bookbuild.render.printing import PRINTERS
from bookbuild.render.view import BookView
from tests.helpers.render_views import english_book, illustration, korean_book

TRIM = (432.0, 648.0)  # 6x9 in
BLEED = 9.0


def printed(view: BookView, target: str = "kdp", **style: object) -> BookView:
    fields = {"print_target": target, "page": "6x9in", **style}
    return dataclasses.replace(view, style=dataclasses.replace(view.style, **fields))


def quiet(view: BookView, out: Path) -> Path:
    return render_pdf(view, out, warn=lambda _: None)


def boxes_of(page: object) -> dict[str, list[float]]:
    return {
        name: [float(v) for v in page[f"/{name}"]]  # type: ignore[index]
        for name in ("MediaBox", "TrimBox", "BleedBox")
    }


def test_text_only_interior_has_no_bleed_and_is_the_trim_size(tmp_path: Path) -> None:
    pdf = quiet(printed(english_book(paragraphs=8)), tmp_path)
    for page in PdfReader(pdf).pages:
        found = boxes_of(page)
        assert found["MediaBox"] == found["TrimBox"] == found["BleedBox"]
        assert found["TrimBox"][2] - found["TrimBox"][0] == pytest.approx(TRIM[0])


@pytest.mark.parametrize("target", ["kdp", "ingramspark"])
def test_bleed_is_on_top_bottom_and_outside_edge_of_each_page_side(
    tmp_path: Path, target: str
) -> None:
    view = printed(english_book(paragraphs=8), target, print_bleed="always")
    reader = PdfReader(quiet(view, tmp_path))
    assert len(reader.pages) >= 4
    for number, page in enumerate(reader.pages, start=1):
        found = boxes_of(page)
        media, trim = found["MediaBox"], found["TrimBox"]
        assert found["BleedBox"] == media
        left, bottom = trim[0] - media[0], trim[1] - media[1]
        right, top = media[2] - trim[2], media[3] - trim[3]
        assert (bottom, top) == (pytest.approx(BLEED), pytest.approx(BLEED))
        if number % 2:  # a right-hand page binds on its left
            assert (left, right) == (pytest.approx(0), pytest.approx(BLEED))
        else:
            assert (left, right) == (pytest.approx(BLEED), pytest.approx(0))
        assert trim[2] - trim[0] == pytest.approx(TRIM[0])


def test_picture_book_bleeds_by_default_and_can_be_told_not_to(tmp_path: Path) -> None:
    book = english_book(theme="picture-book")
    bled = PdfReader(quiet(printed(book, page="8x8in"), tmp_path / "a")).pages[0]
    assert boxes_of(bled)["MediaBox"] != boxes_of(bled)["TrimBox"]
    plain = PdfReader(quiet(printed(book, page="8x8in", print_bleed="never"), tmp_path / "b"))
    assert boxes_of(plain.pages[0])["MediaBox"] == boxes_of(plain.pages[0])["TrimBox"]


@pytest.mark.parametrize(
    ("target", "bleed", "margin"),
    [("kdp", "never", "0.3in"), ("kdp", "always", None), ("ingramspark", "never", "0.3in")],
)
def test_running_heads_and_folios_stay_inside_the_safe_zone(
    tmp_path: Path, target: str, bleed: str, margin: str | None
) -> None:
    view = printed(english_book(paragraphs=14), target, print_bleed=bleed, margin=margin)
    pdf = quiet(view, tmp_path)
    reader = PdfReader(pdf)
    printer = PRINTERS[target]
    safe = (printer.safe_with_bleed if bleed == "always" else printer.safe_without_bleed) * 72
    geometry = print_geometry(layout_for(view), printer, len(reader.pages), bleed == "always")
    heads = folios = 0
    for index, words in enumerate(text_boxes(pdf)):
        found = boxes_of(reader.pages[index])
        media, trim = found["MediaBox"], found["TrimBox"]
        dx, dy = trim[0] - media[0], media[3] - trim[3]
        inside_left = index % 2 == 0  # right-hand page: the gutter is on the left
        for x0, y0, x1, y1, word in words:
            x0, x1, y0, y1 = x0 - dx, x1 - dx, y0 - dy, y1 - dy
            assert y0 >= safe - 0.05 and TRIM[1] - y1 >= safe - 0.05, (index + 1, word)
            left_min = geometry.gutter if inside_left else safe
            right_min = safe if inside_left else geometry.gutter
            assert x0 >= left_min - 0.05 and TRIM[0] - x1 >= right_min - 0.05, (index + 1, word)
            heads += y1 < geometry.top - 2
            folios += y0 > TRIM[1] - geometry.bottom + 2
    assert heads and folios  # the margins do carry running heads and page numbers


def test_interior_is_padded_to_an_even_page_count_and_the_spine_counts_it(
    tmp_path: Path,
) -> None:
    counts = []
    for paragraphs in (3, 5, 8, 11):
        out = tmp_path / str(paragraphs)
        pdf = quiet(printed(english_book(paragraphs=paragraphs)), out)
        pages = len(PdfReader(pdf).pages)
        counts.append(pages)
        assert pages % 2 == 0
        media = [float(v) for v in PdfReader(out / "book-cover.pdf").pages[0]["/MediaBox"]]
        spine = pages * PRINTERS["kdp"].spine_per_page["white"] * 72
        assert media[2] - media[0] == pytest.approx(2 * TRIM[0] + spine + 2 * BLEED, abs=0.05)
    assert len(set(counts)) > 1


def rgb_operators(pdf: Path) -> int:
    reader = PdfReader(pdf)
    count = 0
    for page in reader.pages:
        streams = [page.get_contents()]
        xobjects = page["/Resources"].get("/XObject") or {}
        streams += [x.get_object() for x in xobjects.values() if x["/Subtype"] == "/Form"]
        for stream in streams:
            for operands, operator in ContentStream(stream, reader).operations:
                count += operator in (b"rg", b"RG")
                count += operator in (b"cs", b"CS") and operands[0] == "/DeviceRGB"
    return count


@pytest.mark.parametrize("theme", ["default", "picture-book"])
def test_print_files_have_no_device_rgb_a_cmyk_intent_with_n4_and_an_id(
    tmp_path: Path, theme: str
) -> None:
    cover = illustration("cover", (200, 100, 50), None, "cover art", size=(600, 800))
    book = dataclasses.replace(english_book(theme=theme), cover=cover, blurb="A race.")
    view = printed(dataclasses.replace(book, draft=True))  # the watermark is a colour too
    interior = quiet(view, tmp_path)
    for pdf in (interior, tmp_path / "book-cover.pdf"):
        assert rgb_operators(pdf) == 0
        reader = PdfReader(pdf)
        intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
        profile = intent["/DestOutputProfile"].get_object()
        assert profile["/N"] == 4 and profile.get_data()[16:20] == b"CMYK"
        first, second = reader.trailer["/ID"]
        assert len(first) == len(second) == 32


def test_read_back_check_fails_on_a_screen_pdf(tmp_path: Path) -> None:
    """What the old print files were: RGB colour, no output intent, no /ID."""
    from bookbuild.render.pdf import BuildFetcher

    html = '<html><body style="color: #666"><p>Grey text.</p></body></html>'
    data = html_to_pdf(html, BuildFetcher(tmp_path), 0)
    found = check_pdf(data, Expect(trim=(595.276, 841.89), bleed=0.0))
    assert any("DeviceRGB" in f for f in found)
    assert any("no PDF/X output intent" in f for f in found)
    assert any("odd count" in f for f in found)


def test_rebuilds_with_the_trailer_id_are_byte_identical(tmp_path: Path) -> None:
    view = printed(english_book(), "ingramspark", pdf_x="x-1a")
    first, second = quiet(view, tmp_path / "a"), quiet(view, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert b"/ID [(" in first.read_bytes()
    reader = PdfReader(first)
    assert "PDF/X-1a" in str(reader.metadata.get("/GTS_PDFXVersion"))  # type: ignore[union-attr]
    assert not [f for f in check_pdf(first.read_bytes(), _interior_expect()) if "transp" in f]


def _interior_expect() -> Expect:
    return Expect(trim=TRIM, bleed=0.0, transparency=False)


def test_preflight_names_a_low_resolution_cover_picture(tmp_path: Path) -> None:
    cover = illustration("cover", (200, 100, 50), None, "cover art", size=(600, 800))
    cover = dataclasses.replace(cover, step="cover/cover/image")
    view = printed(dataclasses.replace(english_book(), cover=cover))
    warnings: list[str] = []
    render_pdf(view, tmp_path, warn=warnings.append)
    found = [w for w in warnings if w.startswith("preflight: cover/cover/image")]
    assert found and "ppi (print needs 300)" in found[0] and "upscale" in found[0]


def test_pictures_are_kept_within_the_printers_ink_limit(tmp_path: Path) -> None:
    dark = illustration("dark", (20, 10, 40), "Night", "night", size=(900, 600))
    book = english_book()
    chapter = dataclasses.replace(book.chapters[0], illustrations=(dark,))
    view = printed(dataclasses.replace(book, chapters=(chapter,)), "ingramspark")
    warnings: list[str] = []
    pdf = render_pdf(view, tmp_path, warn=warnings.append)
    peaks = ink_coverage(pdf, tmp_path)
    assert peaks and max(peaks) <= 240
    assert not [w for w in warnings if "total ink" in w]


def test_ink_limit_scales_colour_and_keeps_black() -> None:
    heavy = Image.new("CMYK", (2, 2), (250, 250, 250, 200))
    c, m, y, k = limit_ink(heavy, 240).getpixel((0, 0))  # type: ignore[misc]
    assert k == 200 and (c + m + y + k) * 100 / 255 <= 240.5
    light = Image.new("CMYK", (2, 2), (10, 20, 30, 40))
    assert limit_ink(light, 240).getpixel((0, 0)) == (10, 20, 30, 40)


def test_css_colours_become_device_cmyk_but_text_and_urls_do_not() -> None:
    css = "p { color: #666; background: rgba(255, 255, 255, 0.5); border: 1px solid white; }"
    converted = cmyk_css(css)
    assert "device-cmyk(0 0 0 0.6)" in converted
    assert "device-cmyk(0 0 0 0 / 0.5)" in converted and "#" not in converted
    assert "device-cmyk(0 0 0 0 / " not in cmyk_css(css, opaque=True)
    assert cmyk_css("a { background: url(assets/white.png) }") == (
        "a { background: url(assets/white.png) }"
    )
    html = '<style>b{color:#f00}</style><p style="color: #000">#fff is white</p>'
    assert cmyk_html(html).endswith("#fff is white</p>")
    assert "device-cmyk(0 1 1 0)" in cmyk_html(html)


def test_long_running_titles_are_cut_at_a_word() -> None:
    assert running_title("Short") == "Short"
    cut = running_title("A very long chapter title that would never fit on one running head line")
    assert cut.endswith("…") and len(cut) <= 48 and " " in cut


def test_korean_print_book_passes_the_read_back_check(tmp_path: Path) -> None:
    warnings: list[str] = []
    render_pdf(printed(korean_book(paragraphs=6)), tmp_path, warn=warnings.append)
    read_back = [w for w in warnings if re.search(r"(interior|cover)( page \d+)?:", w)]
    assert read_back == []  # fonts embedded, CMYK, boxes, safe zone, ink
