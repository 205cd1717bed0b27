"""Incremental HTML with every built-in theme and every chapter opening: an edit still rewrites
only the pages it changes, the opening is on the pages rendered again and on those kept, and
the site is byte for byte the one a fresh build makes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bookbuild.render.html import render_html
from bookbuild.render.view import BookView
from bookbuild.style import resolve_theme, theme_names
from tests.helpers.render_views import english_book
from tests.render.test_html_incremental import files, rewritten, with_chapter

OPENINGS = ("classic", "drop-cap", "small-caps", "ornament")
MARK = {"drop-cap": 'class="drop-cap"', "small-caps": 'class="lead-in"'}
# the picture book's scenes set no drop cap or lead-in (its pages are pictures with text)
SET_OPENINGS = [t for t in theme_names() if resolve_theme(t) != "picture-book"]


def opened(theme: str, opening: str, chapters: int = 3) -> BookView:
    book = english_book(theme=theme, chapters=chapters)
    return dataclasses.replace(book, style=dataclasses.replace(book.style, opening=opening))


def marks(page: Path, opening: str) -> int:
    return page.read_text("utf-8").count(MARK[opening]) if opening in MARK else 0


@pytest.mark.parametrize("opening", OPENINGS)
@pytest.mark.parametrize("theme", theme_names())
def test_a_text_edit_rewrites_its_page_and_the_index_in_every_theme_and_opening(
    tmp_path: Path, theme: str, opening: str
) -> None:
    book = opened(theme, opening)
    render_html(book, tmp_path / "kept")
    before = files(tmp_path / "kept")
    text = "Another paragraph opens the chapter now.\n\n" + book.chapters[1].markdown
    edited = with_chapter(book, 1, markdown=text)
    render_html(edited, tmp_path / "kept")
    assert rewritten(before, files(tmp_path / "kept")) == {"ch-ch2.html", "index.html"}
    render_html(edited, tmp_path / "fresh")
    fresh = files(tmp_path / "fresh")
    assert set(fresh) == set(files(tmp_path / "kept"))
    for name in fresh:
        assert (tmp_path / "kept" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


@pytest.mark.parametrize("theme", SET_OPENINGS)
def test_the_opening_is_on_rewritten_and_kept_chapter_pages(tmp_path: Path, theme: str) -> None:
    book = opened(theme, "drop-cap")
    render_html(book, tmp_path)
    edited = with_chapter(book, 0, markdown="Quite new words begin here.\n")
    render_html(edited, tmp_path)
    page = (tmp_path / "ch-ch1.html").read_text("utf-8")
    assert '<span class="drop-cap">Q</span>uite new words' in page
    for kept in ("ch-ch2.html", "ch-ch3.html"):
        assert marks(tmp_path / kept, "drop-cap") == 1
    assert marks(tmp_path / "index.html", "drop-cap") == 3


@pytest.mark.parametrize("theme", SET_OPENINGS)
def test_changing_the_opening_rewrites_every_chapter_page(tmp_path: Path, theme: str) -> None:
    render_html(opened(theme, "drop-cap"), tmp_path)
    before = files(tmp_path)
    render_html(opened(theme, "small-caps"), tmp_path)
    changed = rewritten(before, files(tmp_path))
    assert {"index.html", "ch-ch1.html", "ch-ch2.html", "ch-ch3.html"} <= changed
    for page in ("ch-ch1.html", "ch-ch2.html", "ch-ch3.html"):
        assert marks(tmp_path / page, "small-caps") == 1
        assert marks(tmp_path / page, "drop-cap") == 0


def test_books_with_other_openings_in_one_process_each_get_their_own(tmp_path: Path) -> None:
    """The theme's environment is kept for the process; the opening comes from each page."""
    for opening in ("drop-cap", "small-caps", "classic", "drop-cap"):
        site = tmp_path / opening
        render_html(opened("novel", opening), site)
        for other in MARK:
            expected = 1 if other == opening else 0
            assert marks(site / "ch-ch2.html", other) == expected, (opening, other)
