"""Front and back matter as data, chapter openings, running-head titles, the Korean fixes,
EPUB publishing metadata and the cover wrap's back: read back from the written files."""

from __future__ import annotations

import dataclasses
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bookbuild.render.cover_colors import spine_side_colour
from bookbuild.render.epub import render_epub
from bookbuild.render.frontmatter import ai_disclosure
from bookbuild.render.html import document_html
from bookbuild.render.markdown import render_markdown
from bookbuild.render.matter import chapter_label, epigraph, open_paragraph
from bookbuild.render.pdf import render_pdf
from bookbuild.render.pdfcheck import text_boxes
from bookbuild.render.view import BookView, MatterView
from tests.helpers.render_views import english_book, illustration, korean_book
from tests.render.test_epub import _epubcheck_command

MATTER = MatterView(
    isbn="978-1-23456-789-7",
    publisher="Harbour Light Press",
    edition="First edition",
    dedication="For everyone who keeps a light on.",
    epigraph="The sea is the same as it has been.\n— Ernest Hemingway",
    acknowledgements="Thanks to the keepers.",
    about_author="Wind Forest writes small books.",
    also_by=("The Harbour Cat", "Winter Gulls"),
)


def with_matter(view: BookView, **style: object) -> BookView:
    styled = dataclasses.replace(view.style, **style)
    return dataclasses.replace(view, matter=MATTER, style=styled, blurb="A race in the woods.")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout


def test_copyright_page_has_rights_edition_publisher_and_isbn_at_its_foot(
    tmp_path: Path,
) -> None:
    pdf = render_pdf(with_matter(english_book()), tmp_path)
    pages = text_boxes(pdf)
    page = next(words for words in pages if any(w[4] == "978-1-23456-789-7" for w in words))
    text = " ".join(w[4] for w in page)
    for needed in ("All rights reserved.", "First edition", "Harbour Light Press", "ISBN"):
        assert needed in text
    height = 595.276  # A5 height in points
    assert max(w[3] for w in page) > 0.8 * height  # its block ends at the foot of the page
    assert min(w[1] for w in page) > 0.3 * height  # and does not start at the top


def test_dedication_epigraph_and_back_matter_are_pages_of_the_book(tmp_path: Path) -> None:
    text = pdf_text(render_pdf(with_matter(english_book()), tmp_path))
    for needed in (
        "For everyone who keeps a light on.",
        "— Ernest Hemingway",
        "Acknowledgements",
        "About the Authors",  # two authors
        "Also by Wind Forest, A. Nother",
        "Winter Gulls",
    ):
        assert needed in text
    assert text.index("For everyone") < text.index("Once upon a time") < text.index("Winter Gulls")


def test_epub_carries_isbn_publisher_rights_and_accessibility_conformance(
    tmp_path: Path,
) -> None:
    epub = render_epub(with_matter(korean_book()), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("OEBPS/content.opf").decode()
    assert '<dc:identifier id="isbn">urn:isbn:9781234567897</dc:identifier>' in opf
    assert "<dc:publisher>Harbour Light Press</dc:publisher>" in opf
    assert "<dc:rights>© " in opf and "모든 권리 보유." in opf
    assert "<dc:description>A race in the woods.</dc:description>" in opf
    assert '"dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA<' in opf
    assert "모든 그림에 대체 텍스트가 있습니다." in opf  # the summary in the book's language
    command = _epubcheck_command()
    if command is None:
        pytest.skip("epubcheck (and java) not installed: run scripts/setup.sh")
    done = subprocess.run([*command, str(epub), "--failonwarnings"], capture_output=True)
    assert done.returncode == 0, done.stdout.decode()[-2000:]


def test_fixed_layout_summary_says_fixed_layout(tmp_path: Path) -> None:
    epub = render_epub(korean_book(theme="picture-book"), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("OEBPS/content.opf").decode()
    assert "고정 레이아웃 그림책" in opf


def test_korean_disclosure_has_no_placeholder_particles_and_names_pictures_by_chapter() -> None:
    book = korean_book()
    chapter = book.chapters[0]
    unnamed = dataclasses.replace(chapter.illustrations[0], caption=None)
    chapter = dataclasses.replace(chapter, illustrations=(unnamed,), written_by="openai gpt")
    lines = ai_disclosure(dataclasses.replace(book, chapters=(chapter, *book.chapters[1:])))
    text = " ".join(lines)
    assert "이(가)" not in text and "(으)" not in text
    assert "「경주의 시작」의 그림 1" in text and "/ill0" not in text
    assert "AI가 생성한 글(모델: openai gpt)" in text


def test_markdown_images_print_as_their_alt_text() -> None:
    html = str(render_markdown("See ![a fox at the door](art/fox.png) here."))
    assert "a fox at the door" in html and "![" not in html and "<img" not in html
    risky = str(render_markdown("[x](file:///etc/passwd) and [ok](https://example.org)"))
    assert "file:" not in risky and '<a href="https://example.org">ok</a>' in risky


def test_short_title_is_the_running_head(tmp_path: Path) -> None:
    book = english_book(paragraphs=16)
    long = "The Long and Winding Afternoon When Nothing at All Happened to the Hare"
    chapters = (dataclasses.replace(book.chapters[0], title=long, short_title="Afternoon"),)
    text = pdf_text(render_pdf(dataclasses.replace(book, chapters=chapters), tmp_path))
    heads = [line for line in text.splitlines() if line.strip() == "Afternoon"]
    assert heads  # on the right-hand pages after the opening


def test_chapter_openings_number_styles_and_scene_breaks() -> None:
    book = english_book()
    chapters = tuple(
        dataclasses.replace(ch, markdown="First words of the chapter go here.\n\n***\n\nOn.")
        for ch in book.chapters
    )
    view = dataclasses.replace(book, chapters=chapters)
    styled = dataclasses.replace(
        view,
        style=dataclasses.replace(
            view.style, opening="drop-cap", chapter_number="roman", scene_break="fleuron"
        ),
    )
    html = document_html(styled, lambda ill: f"assets/{ill.id}.png", medium="print")
    assert '<span class="drop-cap">F</span>irst words' in html
    assert '<p class="chapter-number">II</p>' in html and 'content: "\\2766 "' in html
    lead = open_paragraph("<p>“Slowpoke, will you race me today?” said the hare.</p>", "small-caps")
    assert lead.startswith('<p><span class="lead-in">“Slowpoke, will you race me today?”</span>')
    assert chapter_label(3, "word", "en") == "Three" and chapter_label(3, "word", "ko") == "제3장"
    assert chapter_label(1, "none", "en") == ""


def test_epigraph_source_is_its_dashed_last_line() -> None:
    found = epigraph("Line one\nLine two\n— Someone")
    assert found is not None and found.lines == ("Line one", "Line two")
    assert found.source == "Someone"


def test_korean_title_page_stays_centred(tmp_path: Path) -> None:
    pdf = render_pdf(korean_book(), tmp_path)
    width = 419.528  # A5
    title_page = next(words for words in text_boxes(pdf) if any(w[4] == "다시" for w in words))
    checked = set()
    for word in title_page:
        if word[4] in ("다시", "바람숲"):  # the subtitle's first word, the author
            line = [w for w in title_page if abs(w[1] - word[1]) < 1]
            middle = (min(w[0] for w in line) + max(w[2] for w in line)) / 2
            assert middle == pytest.approx(width / 2, abs=width * 0.06), word[4]
            checked.add(word[4])
    assert checked == {"다시", "바람숲"}


def test_cover_back_has_title_and_takes_the_arts_spine_side_colour(tmp_path: Path) -> None:
    art = illustration("cover", (40, 120, 90), None, "cover art", size=(600, 900))
    view = dataclasses.replace(english_book(), cover=art, blurb="A race in the woods.")
    style = dataclasses.replace(view.style, print_target="kdp", page="6x9in")
    render_pdf(dataclasses.replace(view, style=style), tmp_path, warn=lambda _: None)
    cover = tmp_path / "book-cover.pdf"
    text = " ".join(pdf_text(cover).split())
    assert text.count("The Hare and the Tortoise") == 2  # front and back
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(cover), str(tmp_path / "c")], check=True)
    raster = Image.open(next(tmp_path.glob("c*.png"))).convert("RGB")
    back = raster.getpixel((raster.width // 8, raster.height // 2))
    want = spine_side_colour(art.image)
    expected = tuple(int(want[i : i + 2], 16) for i in (1, 3, 5))
    assert all(abs(a - b) < 30 for a, b in zip(back, expected, strict=True))  # type: ignore[arg-type]


def test_fixed_layout_pictures_are_letterboxed_never_cropped(tmp_path: Path) -> None:
    epub = render_epub(korean_book(theme="picture-book"), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        css = archive.read("OEBPS/fixed.css").decode()
        scenes = [archive.read(n).decode() for n in archive.namelist() if "chapter-" in n]
    assert "object-fit: contain" in css and "object-fit: cover" not in css
    assert any('class="scene with-picture"' in s and "background-color: #" in s for s in scenes)
