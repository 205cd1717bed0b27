"""Font stacks and the coverage preflight."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from bookbuild.errors import FontCoverageError
from bookbuild.render.fonts import check_font_coverage, font_stack
from bookbuild.render.view import ChapterView, StyleView
from tests.helpers.render_views import english_book, korean_book

pytestmark = pytest.mark.skipif(shutil.which("fc-list") is None, reason="needs fontconfig")


def test_korean_stack_is_cjk_capable_and_style_font_comes_first() -> None:
    assert font_stack("ko")[:3] == ("Noto Serif CJK KR", "Noto Sans CJK KR", "NanumMyeongjo")
    assert font_stack("en", "Gentium")[0] == "Gentium"
    assert font_stack("en")[:2] == ("Noto Serif", "DejaVu Serif")


def test_preflight_passes_for_hangul() -> None:
    check_font_coverage(korean_book())
    check_font_coverage(english_book())


def test_preflight_names_missing_characters_where_and_the_stack() -> None:
    book = korean_book()
    odd = ChapterView("odd", "이상한 장", "글자 \U0010fffd 하나")
    book = dataclasses.replace(book, chapters=(*book.chapters, odd))
    with pytest.raises(FontCoverageError) as caught:
        check_font_coverage(book)
    message = str(caught.value)
    assert "U+10FFFD" in message
    assert "chapter 'odd' (이상한 장) text" in message
    assert "Noto Serif CJK KR" in message


def test_preflight_checks_titles_and_captions() -> None:
    book = english_book()
    ill = dataclasses.replace(book.chapters[0].illustrations[0], caption="cap \U000f0001")
    chapter = dataclasses.replace(book.chapters[0], illustrations=(ill,))
    book = dataclasses.replace(book, title="T \U000e0000x", chapters=(chapter,))
    with pytest.raises(FontCoverageError, match="caption of 'ill0'"):
        check_font_coverage(book)


def test_style_font_that_is_not_installed_is_an_error() -> None:
    book = korean_book()
    book = dataclasses.replace(book, style=dataclasses.replace(book.style, font="Comic Sans XYZ"))
    with pytest.raises(FontCoverageError) as caught:
        check_font_coverage(book)
    message = str(caught.value)
    assert message.startswith("style.font 'Comic Sans XYZ' is not installed; ")
    assert "installed families with Hangul include: Noto Serif CJK KR" in message


def test_style_font_suggests_close_installed_names() -> None:
    book = dataclasses.replace(english_book(), style=StyleView(font="dejavu serif bold"))
    with pytest.raises(FontCoverageError, match="did you mean: 'DejaVu Serif'"):
        check_font_coverage(book)
    check_font_coverage(dataclasses.replace(english_book(), style=StyleView(font="DejaVu Serif")))
