"""Picture books: text over the picture (style.text_over), panoramas across two pages."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
from pathlib import Path

from PIL import Image

from bookbuild.render.html import document_html
from bookbuild.render.pdf import render_pdf
from bookbuild.render.view import BookView, ChapterView, IllustrationView
from tests.helpers.render_views import english_book, illustration


def panorama() -> IllustrationView:
    out = io.BytesIO()
    Image.new("RGB", (1600, 720), (60, 120, 200)).save(out, "PNG")
    data = out.getvalue()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return IllustrationView("pano", digest, data, 1600, 720, "The whole forest", "forest")


def picture_book(text: str, *pictures: IllustrationView, text_over: bool = False) -> BookView:
    book = english_book(theme="picture-book", page="auto", chapters=1)
    style = dataclasses.replace(book.style, text_over=text_over, bleed="3mm")
    chapter = ChapterView("one", "The Race", text, pictures)
    return dataclasses.replace(book, chapters=(chapter,), style=style)


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    return out.split("\f")


def test_short_text_goes_over_a_full_bleed_picture(tmp_path: Path) -> None:
    meadow = illustration("a", (200, 120, 60), None, "meadow", size=(768, 768))
    view = picture_book("The hare runs fast.", meadow, text_over=True)
    html = document_html(view, lambda ill: f"assets/{ill.id}.png", medium="print")
    assert 'class="scene picture-over opening"' in html
    bleed_width = 576 + 2 * 3 * 72 / 25.4
    assert f"width: {round(bleed_width, 3):g}pt" in html  # across the page and its bleed
    below = document_html(
        picture_book("The hare runs fast.", meadow), lambda ill: "x.png", medium="print"
    )
    assert "scene picture-over" not in below  # the option is off by default


def test_without_text_over_text_that_fits_stays_below_the_picture() -> None:
    meadow = illustration("a", (200, 120, 60), None, "meadow", size=(768, 768))
    view = picture_book("A long paragraph of the race. " * 12, meadow, text_over=False)
    html = document_html(view, lambda ill: "x.png", medium="print")
    assert "scene picture-over" not in html and 'class="scene picture opening"' in html


def test_text_that_runs_past_its_page_gives_the_picture_a_whole_page(tmp_path: Path) -> None:
    """Below a picture kept at half the page, a long scene's text would still run on to the
    next page: the picture takes the whole page to the bleed instead, the text the next."""
    meadow = illustration("a", (200, 120, 60), "Off they go.", "meadow", size=(768, 768))
    view = picture_book("A long paragraph of the race. " * 60, meadow, text_over=True)
    html = document_html(view, lambda ill: "x.png", medium="print")
    assert 'class="scene picture-page opening"' in html
    bleed_width = 576 + 2 * 3 * 72 / 25.4
    assert f"width: {round(bleed_width, 3):g}pt" in html  # across the page and its bleed
    pdf = render_pdf(
        dataclasses.replace(
            view, style=dataclasses.replace(view.style, print_target="kdp", page="8x8in")
        ),
        tmp_path,
        warn=lambda _: None,
    )
    pages = page_texts(pdf)
    # the picture's page: the picture and its caption alone (no folio on a full page)
    picture = next(n for n, text in enumerate(pages, 1) if text.split() == ["Off", "they", "go."])
    assert pages[picture].split()[:3] == ["The", "Race", "A"]  # the title, then the text
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert [int(line.split()[0]) for line in listed.stdout.splitlines()[2:]] == [picture]
    warnings: list[str] = []
    render_pdf(
        dataclasses.replace(
            view, style=dataclasses.replace(view.style, print_target="ingramspark", page="8x8in")
        ),
        tmp_path / "ing",
        warn=warnings.append,
    )
    assert not [w for w in warnings if "safe zone" in w]  # the caption is clear of 0.5 in


def test_panorama_spans_a_left_and_a_right_page(tmp_path: Path) -> None:
    meadow = illustration("a", (200, 120, 60), None, "meadow", size=(768, 768))
    view = picture_book("The hare runs fast.", meadow, panorama())
    pdf = render_pdf(view, tmp_path)
    pages = page_texts(pdf)
    caption = next(n for n, text in enumerate(pages, start=1) if text.strip() == "The whole forest")
    assert caption % 2 == 1  # the right half (with the caption) is a right-hand page
    assert pages[caption - 2].strip() == ""  # the left half: the picture alone
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    on_pages = [int(line.split()[0]) for line in listed.stdout.splitlines()[2:]]
    assert {caption - 1, caption} <= set(on_pages)


def test_default_picture_size_follows_a_picture_books_page(tmp_path: Path) -> None:
    from bookbuild.graph.plan import plan_book
    from bookbuild.project import load_spec
    from tests.conftest import copy_sample

    folder = copy_sample("lighthouse-fox", tmp_path)
    spec_file = folder / "book.yaml"
    text = spec_file.read_text("utf-8").replace("width: 768, height: 512,", "")
    for style, size in (
        ("{theme: picture-book, page: 8x10in}", (616, 768)),
        ("{theme: picture-book}", (768, 768)),
        ("{theme: novel, page: 8x10in}", (768, 768)),
    ):
        spec_file.write_text(text.replace("{theme: default, page: A5}", style), "utf-8")
        graph = plan_book(load_spec(spec_file))
        params = graph.steps["keeper/tower/image"].params
        assert (params["width"], params["height"]) == size, style
