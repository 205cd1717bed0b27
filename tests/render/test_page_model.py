"""HTML and EPUB are built on one page model: figures land in the same places in both."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from bookbuild.render.epub import render_epub
from bookbuild.render.html import render_html
from bookbuild.render.view import BookView, ChapterView
from tests.helpers.render_views import illustration

PARAGRAPHS = "\n\n".join(f"Paragraph number {n} of the chapter." for n in range(1, 6))


def _sequence(markup: str) -> list[str]:
    """'p1'..'p5' for paragraphs and the figure ids, in document order."""
    found = re.finditer(r"Paragraph number (\d)|<img [^>]*alt=\"(fig-[ab])\"", markup)
    return [f"p{m.group(1)}" if m.group(1) else m.group(2) for m in found]


def _view() -> BookView:
    figures = (
        illustration("a", (200, 40, 40), None, "fig-a"),
        illustration("b", (40, 40, 200), None, "fig-b"),
    )
    return BookView("Placement", "en", (ChapterView("one", "One", PARAGRAPHS, figures),))


def test_figures_land_after_the_same_paragraph_in_html_and_epub(tmp_path: Path) -> None:
    view = _view()
    html = render_html(view, tmp_path / "html").read_text(encoding="utf-8")
    epub = render_epub(view, tmp_path / "epub")
    with zipfile.ZipFile(epub) as archive:
        chapter = archive.read("OEBPS/chapter-001.xhtml").decode()
    in_html, in_epub = _sequence(html), _sequence(chapter)
    assert in_html == ["fig-a", "p1", "p2", "p3", "fig-b", "p4", "p5"]
    assert in_epub == in_html
