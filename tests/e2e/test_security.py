"""Attacks on the security rules, each kept as a regression test: hostile themes, symlinks
leading out of the book or the build folder, model output posing as markup or template source."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.errors import BookbuildError
from bookbuild.render.html import render_html
from tests.helpers.render_views import english_book

SECRET = "TOPSECRET-outside-the-book"
KEY = "sk-SENTINEL-security-3e1f"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file outside the book folder (the book lives in tmp_path / 'book')."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, "utf-8")
    return path


@pytest.fixture
def theme(tmp_path: Path) -> Path:
    folder = tmp_path / "book" / "theme"
    folder.mkdir(parents=True)
    return folder


def test_theme_templates_cannot_read_the_environment(
    theme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    (theme / "book.html.j2").write_text(
        "{{ cycler.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}", "utf-8"
    )
    with pytest.raises(BookbuildError, match="unsafe") as failed:
        render_html(english_book(), tmp_path / "out", [theme])
    assert KEY not in str(failed.value)
    assert not (tmp_path / "out" / "index.html").exists()


def test_theme_template_linking_outside_is_refused(
    theme: Path, tmp_path: Path, outside: Path
) -> None:
    (theme / "leak.j2").symlink_to(outside)
    (theme / "book.html.j2").write_text('{% include "leak.j2" %}', "utf-8")
    with pytest.raises(BookbuildError, match="outside the theme folder"):
        render_html(english_book(), tmp_path / "out", [theme])
    (theme / "book.html.j2").unlink()
    (theme / "book.html.j2").symlink_to(outside)  # the entry template itself
    with pytest.raises(BookbuildError, match="outside the theme folder"):
        render_html(english_book(), tmp_path / "out", [theme])
    assert not (tmp_path / "out" / "index.html").exists()


def test_theme_folder_linking_outside_the_book_is_refused(tmp_path: Path, outside: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "static").mkdir(parents=True)
    (elsewhere / "static" / "font.woff").write_text(SECRET, "utf-8")
    (elsewhere / "book.html.j2").write_text("{% include 'x.j2' %}", "utf-8")
    (tmp_path / "book").mkdir()
    link = tmp_path / "book" / "theme"
    link.symlink_to(elsewhere)
    with pytest.raises(BookbuildError, match="links outside the book folder"):
        render_html(english_book(), tmp_path / "book" / "build", [link])
    assert not (tmp_path / "book" / "build" / "assets" / "theme").exists()
    assert not (tmp_path / "book" / "build" / "index.html").exists()


def test_a_build_folder_linking_outside_is_neither_read_nor_written(
    theme: Path, tmp_path: Path, outside: Path
) -> None:
    from bookbuild.render.epub import render_epub
    from bookbuild.render.pdf import render_pdf

    (theme / "book.html.j2").write_text(
        '<html><head><link rel="attachment" href="secret.txt"></head><body>x</body></html>',
        "utf-8",
    )
    build = tmp_path / "book" / "build"
    build.symlink_to(tmp_path)  # the secret is build/secret.txt to the renderer
    for render in (
        lambda: render_pdf(english_book(), build, [theme], slug="leak"),
        lambda: render_html(english_book(), build, [theme]),
        lambda: render_epub(english_book(), build, slug="leak"),
    ):
        with pytest.raises(BookbuildError, match="symlink"):
            render()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", "secret.txt"]


def test_outputs_are_not_written_through_a_linked_assets_folder(
    tmp_path: Path, outside: Path
) -> None:
    build = tmp_path / "book" / "build"
    build.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (build / "assets").symlink_to(elsewhere)
    with pytest.raises(BookbuildError, match="symlink"):
        render_html(english_book(), build)
    assert not list(elsewhere.iterdir())
