"""Themes and print layout: page presets, reading order, TOC numbers, running heads, bleed."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from bookbuild.render.context import make_figure, page_image_box
from bookbuild.render.html import document_html, render_html
from bookbuild.render.pages import page_layout
from bookbuild.render.pdf import render_pdf
from bookbuild.render.pdfbytes import pdf_stats
from bookbuild.render.view import BookView, IllustrationView
from bookbuild.style import parse_page, resolve_theme
from tests.helpers.render_views import english_book, illustration, korean_book

pytestmark = pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler-utils")
THEMES = ("novel", "picture-book")


def page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert match, info
    return float(match.group(1)), float(match.group(2))


def page_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    command = ["pdftotext", "-layout", *pages, str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True).stdout


def with_style(view: BookView, **changes: str | None) -> BookView:
    return dataclasses.replace(view, style=dataclasses.replace(view.style, **changes))


@pytest.mark.parametrize(
    ("theme", "page", "expected"),
    [
        ("novel", "A5", (419.53, 595.28)),
        ("novel", "6x9in", (432, 648)),
        ("novel", "B5", (498.9, 708.66)),
        ("novel", "Letter", (612, 792)),
        ("novel", "A4 landscape", (841.89, 595.28)),
        ("picture-book", "auto", (576, 576)),
        ("picture-book", "8.5x8.5in", (612, 612)),
        ("picture-book", "150mm 200mm", (425.2, 566.93)),
    ],
)
def test_page_size_per_preset(tmp_path: Path, theme: str, page: str, expected: tuple) -> None:
    book = english_book(theme=theme, page=page, paragraphs=1, images=False)
    width, height = page_size(render_pdf(book, tmp_path))
    assert width == pytest.approx(expected[0], abs=0.6)
    assert height == pytest.approx(expected[1], abs=0.6)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("make", [korean_book, english_book])
def test_reading_order_and_toc_page_numbers(tmp_path: Path, theme: str, make: object) -> None:
    book = make(theme=theme, chapters=3)  # type: ignore[operator]
    pdf = render_pdf(book, tmp_path)
    text = page_text(pdf)
    ch1, ch2, ch3 = (chapter.title for chapter in book.chapters)
    contents = "차례" if book.language == "ko" else "Contents"
    toc_at = text.index(contents)
    assert " ".join(text[:toc_at].split()).startswith(book.title)
    toc_numbers = {}
    for title in (ch1, ch2, ch3):
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", text[toc_at:], re.MULTILINE)
        assert match, f"no page number for {title} in the contents"
        toc_numbers[title] = int(match.group(1))
    toc_page = text[:toc_at].count("\f")
    body = "\f".join(text.split("\f")[toc_page + 1 :])
    assert body.index(ch1) < body.index(ch2) < body.index(ch3)
    for title, number in toc_numbers.items():
        assert title in page_text(pdf, number), f"{title} is not on page {number}"


def test_novel_running_heads_and_chapter_pages(tmp_path: Path) -> None:
    # front matter: half-title 1, blank 2, title 3, copyright 4, contents 5, blank 6
    pdf = render_pdf(korean_book(theme="novel", paragraphs=8), tmp_path)
    first = page_text(pdf, 7)
    assert "경주의 시작" in first and first.lstrip().splitlines()[0].strip() != "토끼와 거북이"
    assert page_text(pdf, 8).lstrip().startswith("토끼와 거북이")  # left page: book title
    assert page_text(pdf, 9).lstrip().startswith("경주의 시작")  # right page: chapter title


def test_default_theme_is_novel(tmp_path: Path) -> None:
    assert resolve_theme("default") == "novel"
    html = render_html(english_book(theme="default"), tmp_path).read_text("utf-8")
    assert 'class="theme-novel medium-screen"' in html


def test_picture_book_chapters_start_on_the_next_page_with_no_blank_pages(
    tmp_path: Path,
) -> None:
    book = english_book(theme="picture-book", page="auto", chapters=3, paragraphs=1)
    pdf = render_pdf(book, tmp_path)
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    with_pictures = {int(line.split()[0]) for line in listed.stdout.splitlines()[2:]}
    opens = []
    for number in range(1, pdf_stats(pdf)["pages"] + 1):
        text = page_text(pdf, number)
        if any(re.search(rf"^\s*{re.escape(ch.title)}\s*$", text, re.M) for ch in book.chapters):
            opens.append(number)
        elif opens and "Colophon" not in text:
            assert text.strip() or number in with_pictures, f"page {number} is blank"
    assert len(opens) == 3 and any(number % 2 == 0 for number in opens)


def test_bleed_cover_and_colophon(tmp_path: Path) -> None:
    cover = illustration("cover", (240, 200, 90), None, "cover art", size=(600, 800))
    book = with_style(english_book(theme="picture-book", page="auto"), bleed="3mm")
    pdf = render_pdf(dataclasses.replace(book, cover=cover), tmp_path)
    bleed = 3 * 72 / 25.4
    for page in PdfReader(pdf).pages[0], PdfReader(tmp_path / "book-cover.pdf").pages[0]:
        assert float(page.trimbox.width) == pytest.approx(576, abs=0.5)
        assert float(page.mediabox.width) == pytest.approx(576 + 2 * bleed, abs=0.5)
    # the cover is its own PDF (the picture with the title over it), not interior page 1
    assert page_text(pdf, 1).split() == book.title.split()  # the half-title
    assert book.title in " ".join(page_text(tmp_path / "book-cover.pdf", 1).split())
    assert "/XObject" in PdfReader(tmp_path / "book-cover.pdf").pages[0]["/Resources"]
    colophon = page_text(pdf, pdf_stats(pdf)["pages"])
    assert "offline" in colophon and "placeholder-1" in colophon and "42" in colophon


def test_margins_are_applied(tmp_path: Path) -> None:
    narrow = render_pdf(with_style(english_book(paragraphs=8), margin="10mm"), tmp_path / "n")
    wide = render_pdf(with_style(english_book(paragraphs=8), margin="30mm"), tmp_path / "w")
    assert pdf_stats(narrow)["pages"] < pdf_stats(wide)["pages"]


def test_theme_static_files_reach_html_and_pdf(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "paper.png").write_bytes(illustration("p", (1, 2, 3), None, "").image)
    (theme / "extra.css").write_text(".title-page { background: url(assets/theme/paper.png) }")
    render_html(english_book(), tmp_path / "out", [theme])
    assert (tmp_path / "out" / "assets" / "theme" / "paper.png").is_file()
    warnings: list[str] = []
    pdf = render_pdf(english_book(), tmp_path / "pdf", [theme], warn=warnings.append)
    title_page = PdfReader(pdf).pages[0]
    assert "/XObject" in title_page["/Resources"] or "/Pattern" in title_page["/Resources"]
    assert warnings == []


def test_pdf_stats_reports_pages_and_bytes(tmp_path: Path) -> None:
    pdf = render_pdf(english_book(), tmp_path)
    stats = pdf_stats(pdf)
    assert stats["bytes"] == pdf.stat().st_size
    assert stats["pages"] == len(PdfReader(pdf).pages)


# Picture-book pictures are never cropped; captions show in both themes.


def banded(ill_id: str, size: tuple[int, int], caption: str) -> IllustrationView:
    """A grey picture with a red band along its top and a blue band along its bottom edge:
    a crop of more than 6% of its height loses a band."""
    image = Image.new("RGB", size, (200, 200, 200))
    draw = ImageDraw.Draw(image)
    band = max(1, round(size[1] * 0.06))
    draw.rectangle((0, 0, size[0], band), fill=(230, 20, 20))
    draw.rectangle((0, size[1] - band, size[0], size[1]), fill=(20, 20, 230))
    out = io.BytesIO()
    image.save(out, "PNG")
    data = out.getvalue()
    return IllustrationView(
        id=ill_id,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        image=data,
        width=size[0],
        height=size[1],
        caption=caption,
        alt="bands",
    )


def picture_book(*ills: IllustrationView, paragraphs: int = 1) -> BookView:
    """A picture book with its pictures framed above the text (`text_over: false`; the
    default, text over the picture, is tested in test_picture_book.py)."""
    book = english_book(theme="picture-book", page="auto", chapters=len(ills))
    chapters = tuple(
        dataclasses.replace(ch, illustrations=(ill,), markdown=ch.markdown.split("\n\n")[0])
        for ch, ill in zip(book.chapters, ills, strict=True)
    )
    style = dataclasses.replace(book.style, text_over=False)
    return dataclasses.replace(book, chapters=chapters, style=style)


def img_boxes(html: str) -> list[tuple[float, float]]:
    found = re.findall(r'<img [^>]*style="width: ([\d.]+)pt; height: ([\d.]+)pt', html)
    return [(float(w), float(h)) for w, h in found]


def test_picture_book_boxes_keep_each_pictures_aspect() -> None:
    square, wide = banded("sq", (768, 768), "Square"), banded("wide", (768, 512), "Wide")
    book = picture_book(square, wide)
    html = document_html(book, lambda ill: f"assets/{ill.id}.png", medium="print")
    boxes = img_boxes(html)
    assert len(boxes) == 2
    for (width, height), ill in zip(boxes, (square, wide), strict=True):
        assert width / height == pytest.approx(ill.width / ill.height, rel=0.01)
    assert boxes[0][1] < 576 * 0.9  # the square one is scaled down: its text needs room
    assert boxes[1][0] == pytest.approx(576)  # the wide one spans the page
    assert "object-fit: cover" not in " ".join(re.findall(r"<img [^>]*>", html))


def test_full_page_picture_crops_at_most_a_sliver() -> None:
    layout = page_layout(parse_page("8x8in"), bleed="3mm")
    near = make_figure(banded("near", (790, 768), ""), lambda ill: "x.png")
    tall = make_figure(banded("tall", (512, 768), ""), lambda ill: "x.png")
    assert page_image_box(layout, near).fit == "cover"
    box = page_image_box(layout, tall)
    assert (box.fit, box.width, box.height) == ("contain", 576, 576)
    assert box.background == "#a574a5"  # the mean of the picture's border: red, grey, blue
    assert "padding: 8.504pt" in box.style  # the bleed around the trimmed page


def red_and_blue_pixels(png_path: Path) -> tuple[int, int]:
    image = Image.open(png_path).convert("RGB")
    data = image.tobytes()
    pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    red = sum(1 for r, g, b in pixels if r > 180 and g < 80 and b < 80)
    blue = sum(1 for r, g, b in pixels if b > 180 and r < 80 and g < 80)
    return red, blue


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
def test_picture_book_pdf_shows_whole_square_and_landscape_pictures(tmp_path: Path) -> None:
    square, wide = banded("sq", (768, 768), "Square"), banded("wide", (768, 512), "Wide")
    tall = banded("tall", (512, 768), "Tall")
    book = picture_book(square, wide)
    # a picture without text (a full page): contained, not cropped
    two = dataclasses.replace(book.chapters[1], illustrations=(wide, tall))
    book = dataclasses.replace(book, chapters=(book.chapters[0], two))
    pdf = render_pdf(book, tmp_path)
    pages = {}
    for number in range(1, pdf_stats(pdf)["pages"] + 1):
        text = page_text(pdf, number)
        for caption in ("Square", "Wide", "Tall"):
            if re.search(rf"^\s*{caption}\s*$", text, re.M):
                pages[caption] = number
    assert set(pages) == {"Square", "Wide", "Tall"}, pages
    for caption, number in pages.items():
        prefix = tmp_path / f"page-{caption}"
        run = ["pdftoppm", "-r", "30", "-png", "-f", str(number), "-l", str(number)]
        subprocess.run([*run, str(pdf), str(prefix)], check=True)
        red, blue = red_and_blue_pixels(next(tmp_path.glob(f"page-{caption}*.png")))
        assert red > 50 and blue > 50, f"{caption}: a band is cropped ({red} red, {blue} blue)"


@pytest.mark.parametrize("theme", THEMES)
def test_captions_are_printed_and_in_the_html(tmp_path: Path, theme: str) -> None:
    book = english_book(theme=theme, page="auto", chapters=2)
    captions = [ill.caption for ch in book.chapters for ill in ch.illustrations]
    text = " ".join(page_text(render_pdf(book, tmp_path)).split())
    html = render_html(book, tmp_path).read_text("utf-8")
    for caption in captions:
        assert caption and caption in text
        assert f"<figcaption><span>{caption}</span></figcaption>" in html or (
            f"<figcaption>{caption}</figcaption>" in html
        )
    assert "figcaption { display: none" not in html
