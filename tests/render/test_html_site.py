"""The HTML site: an index, a page per chapter with navigation, links to the PDF and EPUB."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bookbuild.render.html import render_html
from tests.helpers.render_views import english_book

DOWNLOADS = (("PDF", "book.pdf"), ("EPUB", "book.epub"))


def links(page: Path) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', page.read_text("utf-8"))


def test_every_chapter_has_its_own_page_with_previous_and_next(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path, downloads=DOWNLOADS)
    pages = [tmp_path / f"ch-ch{n}.html" for n in (1, 2, 3)]
    assert all(page.is_file() for page in pages)
    middle = pages[1].read_text("utf-8")
    assert 'rel="prev" href="ch-ch1.html"' in middle and 'rel="next" href="ch-ch3.html"' in middle
    assert "The Nap" in middle and "The Challenge" in middle  # its text; the nav names the rest
    assert 'aria-current="page">The Nap<' in middle
    assert 'rel="prev"' not in pages[0].read_text("utf-8")
    assert 'rel="next"' not in pages[2].read_text("utf-8")


def test_index_links_to_chapter_pages_and_downloads(tmp_path: Path) -> None:
    index = render_html(english_book(), tmp_path, downloads=DOWNLOADS)
    found = links(index)
    assert {"ch-ch1.html", "ch-ch2.html", "book.pdf", "book.epub"} <= set(found)


def test_every_link_of_the_site_leads_somewhere(tmp_path: Path) -> None:
    render_html(english_book(chapters=3), tmp_path, downloads=())
    for page in tmp_path.glob("*.html"):
        html = page.read_text("utf-8")
        for href in links(page):
            target, _, fragment = href.partition("#")
            if href.startswith(("http://", "https://")):
                continue
            holder = (tmp_path / target) if target else page
            assert holder.is_file(), f"{page.name}: {href}"
            if fragment:
                assert f'id="{fragment}"' in holder.read_text("utf-8"), f"{page.name}: {href}"
        assert "<a " in html


def test_pages_of_removed_chapters_are_removed(tmp_path: Path) -> None:
    render_html(english_book(chapters=3), tmp_path)
    book = english_book(chapters=3)
    render_html(dataclasses.replace(book, chapters=book.chapters[:2]), tmp_path)
    assert not (tmp_path / "ch-ch3.html").exists() and (tmp_path / "ch-ch2.html").exists()
