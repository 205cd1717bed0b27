"""The render phase reports where the PDF is: print images made, WeasyPrint's stages, each page
it lays out, the writing, the cover and the saving."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from bookbuild.build.events import Event
from bookbuild.build.outputs import render_outputs
from bookbuild.render.pdf import render_pdf
from bookbuild.render.progress import pdf_progress
from tests.helpers.render_views import english_book


def test_every_stage_of_the_pdf_is_named_in_order_with_each_page(tmp_path: Path) -> None:
    reports: list[tuple[str, int]] = []
    cache = tmp_path / "cache"
    with pdf_progress(lambda stage, page: reports.append((stage, page))):
        pdf = render_pdf(english_book(chapters=3, paragraphs=4), tmp_path, image_cache=cache)
    pages = len(PdfReader(pdf).pages)
    stages = [stage for stage, _ in reports]
    images = [stage for stage in stages if stage.startswith("print images")]
    made = len(images) - 1
    assert made >= 3 and images == [f"print images {n}/{made}" for n in range(made + 1)]
    named = [images[-1], "reading the HTML", "applying the styles", "building the boxes"]
    named += ["layout", "writing", "the cover", "saving"]
    assert [stages.index(stage) for stage in named] == sorted(stages.index(s) for s in named)
    assert stages[-1] == "saving" and stages.count("writing") == 1  # the cover's is "the cover"
    assert sorted({p for s, p in reports if s == "layout"}) == list(range(1, pages + 1))
    assert all(page == 0 for stage, page in reports if stage != "layout")
    again: list[tuple[str, int]] = []
    with pdf_progress(lambda stage, page: again.append((stage, page))):
        render_pdf(english_book(chapters=3, paragraphs=4), tmp_path, image_cache=cache)
    assert not [s for s, _ in again if s.startswith("print images")]  # all from the cache
    assert again[0] == ("reading the HTML", 0)


def test_the_next_render_knows_how_many_pages_to_expect(tmp_path: Path) -> None:
    book = english_book(chapters=2)
    first: list[Event] = []
    render_outputs(book, tmp_path, ["html", "pdf"], "a", [], "book", progress=first.append)
    pages = len(PdfReader(tmp_path / "book.pdf").pages)
    started = [e for e in first if e.kind == "render_format_started"]
    assert sorted(e.step_id for e in started) == ["html", "pdf"]
    assert [e.total for e in started if e.step_id == "pdf"] == [0]  # unknown the first time
    again: list[Event] = []
    render_outputs(book, tmp_path, ["pdf"], "b", [], "book", progress=again.append)
    (pdf_start,) = [e for e in again if e.kind == "render_format_started"]
    assert pdf_start.total == pages
    layout = [e for e in again if e.kind == "render_progress" and e.message == "layout"]
    assert layout[-1].done == pages and layout[-1].total == pages
