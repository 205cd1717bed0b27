"""Incremental HTML: an edit rewrites only the files of the site it changes (files are replaced
by rename, so a rewritten file has a new inode; an untouched one keeps its inode and mtime)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from bookbuild.render import context
from bookbuild.render.html import render_html
from bookbuild.render.view import BookView, ChapterView
from tests.helpers.render_views import english_book, illustration

Files = dict[str, tuple[int, int]]


def files(folder: Path) -> Files:
    """Every file of the site (relative name) with its inode and mtime in nanoseconds."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def rewritten(before: Files, after: Files) -> set[str]:
    return {name for name, stamp in after.items() if before.get(name) != stamp}


def with_chapter(book: BookView, number: int, **changes: object) -> BookView:
    chapters = list(book.chapters)
    chapters[number] = dataclasses.replace(chapters[number], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(book, chapters=tuple(chapters))


def test_a_text_edit_rewrites_its_chapter_page_and_the_index_only(tmp_path: Path) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path)
    before = files(tmp_path)
    edited = with_chapter(book, 1, markdown=book.chapters[1].markdown + "\n\nThe end.\n")
    render_html(edited, tmp_path)
    assert rewritten(before, files(tmp_path)) == {"ch-ch2.html", "index.html"}
    assert "The end." in (tmp_path / "ch-ch2.html").read_text("utf-8")


def test_a_new_picture_rewrites_its_chapter_page_the_index_and_its_asset(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path)
    before = files(tmp_path)
    picture = illustration("ill2", (10, 200, 30), "A new scene", "A new picture")
    render_html(with_chapter(book, 2, illustrations=(picture,)), tmp_path)
    changed = rewritten(before, files(tmp_path))
    new_asset = f"assets/{picture.digest.removeprefix('sha256:')[:16]}.png"
    assert changed == {"ch-ch3.html", "index.html", new_asset}


def test_a_title_edit_rewrites_the_contents_its_page_and_its_neighbours_only(
    tmp_path: Path,
) -> None:
    book = english_book(chapters=5)
    render_html(book, tmp_path)
    before = files(tmp_path)
    render_html(with_chapter(book, 2, title="A Brand New Middle"), tmp_path)
    pages = {"index.html", "toc.js", "ch-ch2.html", "ch-ch3.html", "ch-ch4.html"}
    assert rewritten(before, files(tmp_path)) == pages
    assert "A Brand New Middle" in (tmp_path / "toc.js").read_text("utf-8")
    assert 'rel="next" href="ch-ch3.html">A Brand New Middle' in (
        tmp_path / "ch-ch2.html"
    ).read_text("utf-8")
    assert "A Brand New Middle" not in (tmp_path / "ch-ch5.html").read_text("utf-8")


def test_a_chapter_added_at_the_end_rewrites_the_contents_and_the_last_page(
    tmp_path: Path,
) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path)
    before = files(tmp_path)
    longer = dataclasses.replace(book, chapters=(*book.chapters, ChapterView("ch5", "More", "x")))
    render_html(longer, tmp_path)
    assert rewritten(before, files(tmp_path)) == {
        "index.html",
        "toc.js",
        "ch-ch4.html",
        "ch-ch5.html",
    }


def test_a_short_title_edit_rewrites_its_chapter_page(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path)
    before = files(tmp_path)
    render_html(with_chapter(book, 1, short_title="Napping"), tmp_path)
    assert rewritten(before, files(tmp_path)) == {"index.html", "ch-ch2.html"}
    assert 'data-running="Napping"' in (tmp_path / "ch-ch2.html").read_text("utf-8")


def test_a_theme_listing_every_chapter_on_its_pages_rewrites_them_all_on_a_title_edit(
    tmp_path: Path,
) -> None:
    theme = tmp_path / "theme"
    (theme / "partials").mkdir(parents=True)
    (theme / "partials" / "page-nav.html.j2").write_text(
        "<nav>{% for c in chapters %}<a href='{{ c.page }}'>{{ c.title }}</a>{% endfor %}</nav>",
        "utf-8",
    )
    site = tmp_path / "site"
    book = english_book(chapters=4)
    render_html(book, site, theme_dirs=[theme])
    before = files(site)
    render_html(with_chapter(book, 0, title="Retitled"), site, theme_dirs=[theme])
    pages = {"index.html", "toc.js", *(f"ch-ch{n}.html" for n in range(1, 5))}
    assert rewritten(before, files(site)) == pages
    assert "Retitled" in (site / "ch-ch4.html").read_text("utf-8")


def test_nothing_changed_writes_nothing_and_gives_the_same_bytes(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path / "a")
    before = files(tmp_path / "a")
    render_html(book, tmp_path / "a")
    assert rewritten(before, files(tmp_path / "a")) == set()
    render_html(book, tmp_path / "b")
    for name in before:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_an_incremental_site_is_the_site_a_fresh_build_makes(tmp_path: Path) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path / "kept")
    edited = with_chapter(book, 3, markdown="A *new* last chapter.\n", title="Last")
    edited = dataclasses.replace(
        edited, chapters=(*edited.chapters, ChapterView("ch5", "More", "x"))
    )
    render_html(edited, tmp_path / "kept")
    render_html(edited, tmp_path / "fresh")
    kept, fresh = files(tmp_path / "kept"), files(tmp_path / "fresh")
    assert set(fresh) <= set(kept)
    for name in fresh:
        assert (tmp_path / "kept" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


def test_a_page_changed_or_deleted_by_hand_is_written_again(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path)
    good = (tmp_path / "ch-ch1.html").read_bytes()
    (tmp_path / "ch-ch1.html").write_text("scribbled over", "utf-8")
    (tmp_path / "ch-ch2.html").unlink()
    render_html(book, tmp_path)
    assert (tmp_path / "ch-ch1.html").read_bytes() == good
    assert (tmp_path / "ch-ch2.html").is_file()


def test_a_theme_template_edit_rewrites_every_chapter_page(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "extra.css").write_text("body { color: black; }\n", "utf-8")
    site = tmp_path / "site"
    book = english_book(chapters=2)
    render_html(book, site, theme_dirs=[theme])
    before = files(site)
    (theme / "extra.css").write_text("body { color: navy; }\n", "utf-8")
    render_html(book, site, theme_dirs=[theme])
    assert rewritten(before, files(site)) == {"index.html", "ch-ch1.html", "ch-ch2.html"}
    assert "navy" in (site / "ch-ch2.html").read_text("utf-8")


def test_other_chapters_are_navigation_only_on_a_chapter_page(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "partials").mkdir(parents=True)
    (theme / "chapter.html.j2").write_text(
        "{% for c in chapters %}[{{ c.title }}:{{ c.blocks | length }}]{% endfor %}"
        "{{ book.chapters | map(attribute='markdown') | join('|') }}",
        "utf-8",
    )
    book = english_book(chapters=3)
    render_html(book, tmp_path / "site", theme_dirs=[theme])
    page = (tmp_path / "site" / "ch-ch2.html").read_text("utf-8")
    own = len([b for b in book.chapters[1].markdown.split("\n\n") if b.strip()])
    assert page.startswith(f"[The Challenge:0][The Nap:{own}][The Finish Line:0]")
    assert page.endswith(f"|{book.chapters[1].markdown}|")


def recaption(book: BookView, number: int, caption: str) -> BookView:
    ill = dataclasses.replace(book.chapters[number].illustrations[0], caption=caption)
    return with_chapter(book, number, illustrations=(ill,))


def test_a_caption_edit_rewrites_its_chapter_page_and_the_index_only(tmp_path: Path) -> None:
    book = english_book(chapters=3)
    render_html(book, tmp_path)
    before = files(tmp_path)
    render_html(recaption(book, 0, "A new caption"), tmp_path)
    assert rewritten(before, files(tmp_path)) == {"ch-ch1.html", "index.html"}


def test_chapter_pages_showing_the_disclosure_follow_every_caption(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "chapter.html.j2").write_text(
        "{{ page_chapter.title }}: {{ disclosure | join(' ') }}", "utf-8"
    )
    site = tmp_path / "site"
    book = english_book(chapters=3)
    render_html(book, site, theme_dirs=[theme])
    before = files(site)
    render_html(recaption(book, 0, "A new caption"), site, theme_dirs=[theme])
    assert rewritten(before, files(site)) == {
        "index.html",
        "ch-ch1.html",
        "ch-ch2.html",
        "ch-ch3.html",
    }
    assert "A new caption" in (site / "ch-ch3.html").read_text("utf-8")


def test_an_edit_parses_and_renders_only_the_edited_chapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path)
    parsed: list[str] = []
    original = context.render_blocks

    def counted(text: str, *args: Any) -> list[Markup]:
        parsed.append(text)
        return original(text, *args)

    monkeypatch.setattr(context, "render_blocks", counted)
    context.chapter_blocks.cache_clear()  # as in a new process
    edited = with_chapter(book, 2, markdown="Only *this* chapter changed.\n")
    render_html(edited, tmp_path)
    assert parsed == ["Only *this* chapter changed.\n"]
    context.chapter_blocks.cache_clear()
    render_html(edited, tmp_path / "fresh")
    assert len(parsed) == 5  # a fresh site parses every chapter
    assert (tmp_path / "index.html").read_bytes() == (
        tmp_path / "fresh" / "index.html"
    ).read_bytes()


def test_sections_showing_every_figure_are_rendered_each_time(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "partials").mkdir(parents=True)
    (theme / "partials" / "chapter.html.j2").write_text(
        "<section id='{{ chapter.anchor }}'>{{ chapter.title }}: "
        "{{ figures | map(attribute='caption') | join(', ') }}</section>",
        "utf-8",
    )
    book = english_book(chapters=3)
    render_html(book, tmp_path / "site", theme_dirs=[theme])
    render_html(recaption(book, 2, "A new caption"), tmp_path / "site", theme_dirs=[theme])
    index = (tmp_path / "site" / "index.html").read_text("utf-8")
    assert index.count("A new caption</section>") == 3  # in every chapter's section
    assert not (tmp_path / "site" / ".bookbuild-sections.json").exists()


def test_a_theme_template_added_later_that_lists_chapters_is_followed(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "partials").mkdir(parents=True)
    site = tmp_path / "site"
    book = english_book(chapters=4)
    render_html(book, site, theme_dirs=[theme])  # what the templates use is kept with them
    (theme / "partials" / "page-nav.html.j2").write_text(
        "<nav>{% for c in chapters %}{{ c.title }};{% endfor %}</nav>", "utf-8"
    )
    render_html(book, site, theme_dirs=[theme])
    before = files(site)
    render_html(with_chapter(book, 0, title="Retitled"), site, theme_dirs=[theme])
    assert {f"ch-ch{n}.html" for n in range(1, 5)} <= rewritten(before, files(site))
    assert "<nav>Retitled;The Nap;" in (site / "ch-ch4.html").read_text("utf-8")
