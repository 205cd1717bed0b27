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
    assert "The Nap" in middle and "The Challenge" in middle  # its text; its neighbours' links
    assert '<ol class="site-chapters" data-contents hidden></ol>' in middle  # toc.js fills it
    assert '<script src="toc.js" defer></script>' in middle
    assert 'href="index.html#toc"' in middle
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


def test_a_chapter_page_names_its_neighbours_but_not_every_chapter(tmp_path: Path) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path)
    third = (tmp_path / "ch-ch3.html").read_text("utf-8")
    assert "The Nap" in third and "Friends Again" in third
    assert "The Challenge" not in third and "ch-ch1.html" not in third
    script = (tmp_path / "toc.js").read_text("utf-8")
    for chapter in book.chapters:
        assert f'["ch-{chapter.id}.html","{chapter.title}"]' in script


def test_the_contents_script_holds_titles_as_text(tmp_path: Path) -> None:
    book = english_book(chapters=2)
    odd = dataclasses.replace(book.chapters[0], title='</script><b>"Bold"</b>\u2028')
    render_html(dataclasses.replace(book, chapters=(odd, book.chapters[1])), tmp_path)
    script = (tmp_path / "toc.js").read_text("utf-8")
    assert "</script>" not in script and "<b>" not in script
    assert '\\u003c/script>\\u003cb>\\"Bold\\"\\u003c/b>' in script
