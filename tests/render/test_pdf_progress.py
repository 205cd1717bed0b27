"""The render phase reports where WeasyPrint is: each page it lays out, then the writing."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from bookbuild.build.events import Event
from bookbuild.build.outputs import render_outputs
from bookbuild.render.pdf import render_pdf
from bookbuild.render.progress import pdf_progress
from tests.helpers.render_views import english_book


def test_every_page_laid_out_is_reported_then_the_writing(tmp_path: Path) -> None:
    reports: list[tuple[str, int]] = []
    with pdf_progress(lambda stage, page: reports.append((stage, page))):
        pdf = render_pdf(english_book(chapters=3, paragraphs=4), tmp_path)
    pages = len(PdfReader(pdf).pages)
    interior = reports[: reports.index(("writing", 0))]
    assert {stage for stage, _ in interior} == {"layout"}
    assert sorted({page for _, page in interior}) == list(range(1, pages + 1))  # (repaginated)
    assert reports.count(("writing", 0)) == 2  # the interior, then the cover


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
