"""An EPUB's pictures are encoded for e-readers once: kept by the picture's digest and the
encoder's settings, so a text edit does not decode and re-encode every picture again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.render import epub_content
from bookbuild.render.epub import render_epub
from bookbuild.render.view import IllustrationView
from tests.helpers.render_views import illustration, korean_book


def test_a_second_epub_takes_its_pictures_from_the_cache_and_is_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = render_epub(korean_book(chapters=3), tmp_path / "a", image_cache=cache).read_bytes()
    assert len(list(cache.iterdir())) == 3
    uncached = render_epub(korean_book(chapters=3), tmp_path / "c")  # no cache: made here
    assert uncached.read_bytes() == first

    def never(picture: IllustrationView) -> None:
        raise AssertionError(f"{picture.id} was encoded again")

    monkeypatch.setattr(epub_content, "_encoded", never)
    again = render_epub(korean_book(chapters=3), tmp_path / "b", image_cache=cache)
    assert again.read_bytes() == first


def test_a_picture_with_transparency_is_kept_as_png(tmp_path: Path) -> None:
    picture = illustration("cut", (30, 160, 90), "caption", "alt", size=(300, 200), alpha=True)
    made = epub_content.epub_image(picture, tmp_path)
    kept = epub_content.epub_image(picture, tmp_path)
    assert (made.media_type, made.href.endswith(".png")) == ("image/png", True)
    assert (kept.data, kept.width, kept.height, kept.href) == (
        made.data,
        made.width,
        made.height,
        made.href,
    )


def test_a_damaged_entry_is_made_again(tmp_path: Path) -> None:
    picture = illustration("big", (200, 90, 40), "caption", "alt", size=(2400, 1200))
    made = epub_content.epub_image(picture, tmp_path)
    assert (made.width, made.height) == (epub_content.MAX_SIDE, 800)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"half a JPEG")
    assert epub_content.epub_image(picture, tmp_path).data == made.data
    assert entry.read_bytes() == made.data


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    picture = illustration("p", (10, 20, 30), "caption", "alt")
    assert epub_content.epub_image(picture, blocked).data == epub_content.epub_image(picture).data
