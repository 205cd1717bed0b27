"""The HTML site's navigation in real headless Chromium: toc.js fills every chapter page's
contents list (the current chapter marked), and without JavaScript the contents, previous and
next links still lead through the book."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bookbuild.render.html import render_html
from tests.helpers.chromium import launched_chromium
from tests.helpers.render_views import english_book


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    book = english_book(chapters=4)
    odd = dataclasses.replace(book.chapters[3], title='<img src=x onerror="alert(1)"> & "Last"')
    render_html(dataclasses.replace(book, chapters=(*book.chapters[:3], odd)), tmp_path)
    return tmp_path


def test_toc_js_lists_every_chapter_and_marks_the_current_one(browser: Any, site: Path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((site / "ch-ch2.html").as_uri())
    contents = page.locator("ol[data-contents]")
    contents.wait_for(state="visible")
    links = contents.locator("a")
    assert links.all_text_contents() == [
        "The Challenge",
        "The Nap",
        "The Finish Line",
        '<img src=x onerror="alert(1)"> & "Last"',  # a title is text, never markup
    ]
    assert contents.locator("img").count() == 0
    assert links.nth(1).get_attribute("aria-current") == "page"
    assert links.nth(0).get_attribute("aria-current") is None
    links.nth(3).click()
    page.wait_for_url("**/ch-ch4.html")
    assert page.locator("ol[data-contents] a[aria-current=page]").text_content() == (
        '<img src=x onerror="alert(1)"> & "Last"'
    )
    assert errors == []
    page.close()


def test_without_javascript_the_links_lead_through_the_book(browser: Any, site: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((site / "ch-ch1.html").as_uri())
    assert not page.locator("ol[data-contents]").is_visible()  # no empty list shown
    page.locator(".site-nav a[rel=next]").click()
    page.wait_for_url("**/ch-ch2.html")
    assert page.locator("h2.chapter-title").text_content() == "The Nap"
    page.locator(".page-turn a[rel=prev]").click()
    page.wait_for_url("**/ch-ch1.html")
    page.locator(".site-nav a.site-contents").click()
    page.wait_for_url("**/index.html#toc")
    entries = page.locator("nav.toc li a").all_text_contents()
    assert entries[:3] == ["The Challenge", "The Nap", "The Finish Line"] and len(entries) == 4
    context.close()


def test_a_retitled_chapter_shows_in_the_contents_of_pages_not_rewritten(
    browser: Any, tmp_path: Path
) -> None:
    book = english_book(chapters=4)
    render_html(book, tmp_path)
    kept = (tmp_path / "ch-ch4.html").stat().st_ino
    retitled = dataclasses.replace(book.chapters[0], title="A New Beginning")
    render_html(dataclasses.replace(book, chapters=(retitled, *book.chapters[1:])), tmp_path)
    assert (tmp_path / "ch-ch4.html").stat().st_ino == kept  # not rewritten
    page = browser.new_page()
    page.goto((tmp_path / "ch-ch4.html").as_uri())
    first = page.locator("ol[data-contents] a").first
    first.wait_for(state="visible")
    assert first.text_content() == "A New Beginning"
    page.close()
