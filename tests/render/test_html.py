"""HTML rendering: escaping, safe Markdown, assets, determinism."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bookbuild.errors import ConfigError
from bookbuild.render.assets import asset_name
from bookbuild.render.html import render_html
from bookbuild.render.markdown import render_markdown
from bookbuild.render.view import ChapterView
from tests.helpers.render_views import english_book, korean_book

SCRIPT = "<script>alert(1)</script>"


def _hostile_book() -> object:
    book = english_book()
    chapter = book.chapters[0]
    ill = dataclasses.replace(chapter.illustrations[0], caption=SCRIPT, alt=f'x" onerror="{SCRIPT}')
    hostile = ChapterView(
        "evil",
        f"Title {SCRIPT}",
        f"Text {SCRIPT}\n\n<b>bold</b>\n\n[x](javascript:alert(1))",
        (ill,),
    )
    return dataclasses.replace(book, title=SCRIPT, chapters=(hostile,))


def test_html_escapes_script_in_title_caption_and_text(tmp_path: Path) -> None:
    index = render_html(_hostile_book(), tmp_path)  # type: ignore[arg-type]
    html = index.read_text("utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onerror="' not in html


def test_raw_html_in_markdown_is_not_rendered() -> None:
    out = render_markdown('<b>bold</b> and <img src="file:///etc/hostname">')
    assert "<b>" not in out and "<img" not in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out


def test_javascript_link_is_not_a_link() -> None:
    out = render_markdown(
        "[x](javascript:alert(1)) [f](file:///etc/passwd) [ok](https://a.example)"
    )
    assert 'href="javascript' not in out and 'href="file' not in out
    assert '<a href="https://a.example">ok</a>' in out


def test_markdown_image_becomes_its_alt_text() -> None:
    out = render_markdown("![a *cat*](https://a.example/cat.png)")
    assert "<img" not in out and "a cat" in out


def test_markdown_headings_sit_below_the_chapter_title() -> None:
    assert "<h3>Part</h3>" in render_markdown("# Part")


def test_html_writes_assets_named_by_digest(tmp_path: Path) -> None:
    book = korean_book()
    render_html(book, tmp_path)
    ill = book.chapters[0].illustrations[0]
    name = asset_name(ill, "png")
    assert name == ill.digest.removeprefix("sha256:")[:16] + ".png"
    assert (tmp_path / "assets" / name).read_bytes() == ill.image
    html = (tmp_path / "index.html").read_text("utf-8")
    assert f'src="assets/{name}"' in html
    assert '<html lang="ko">' in html
    assert "word-break: keep-all" in html


def test_html_is_deterministic(tmp_path: Path) -> None:
    first = render_html(korean_book(), tmp_path / "a").read_bytes()
    second = render_html(korean_book(), tmp_path / "b").read_bytes()
    assert first == second


def test_html_has_figures_with_captions_and_alt(tmp_path: Path) -> None:
    html = render_html(english_book(), tmp_path).read_text("utf-8")
    assert html.count("<figure") == 2
    assert "<figcaption>Scene of The Challenge</figcaption>" in html
    assert 'alt="A hare in the forest"' in html


def test_style_font_comes_first_and_css_is_appended(tmp_path: Path) -> None:
    book = english_book()
    style = dataclasses.replace(book.style, font="My Font", css="p { color: red; } </style>")
    html = render_html(dataclasses.replace(book, style=style), tmp_path).read_text("utf-8")
    assert '--font-text: "My Font", "Noto Serif"' in html
    assert "p { color: red; } <\\/style>" in html


def test_book_theme_dir_overrides_templates(tmp_path: Path) -> None:
    theme = tmp_path / "theme" / "partials"
    theme.mkdir(parents=True)
    (theme / "title.html.j2").write_text("<h1 class=mine>{{ book.title }}</h1>", "utf-8")
    html = render_html(english_book(), tmp_path / "out", [tmp_path / "theme"])
    assert "<h1 class=mine>The Hare and the Tortoise</h1>" in html.read_text("utf-8")


def test_unknown_theme_is_a_config_error(tmp_path: Path) -> None:
    book = english_book()
    book = dataclasses.replace(book, style=dataclasses.replace(book.style, theme="nope"))
    with pytest.raises(ConfigError, match="unknown theme 'nope'"):
        render_html(book, tmp_path)
