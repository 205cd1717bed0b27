"""The picture-book theme's EPUB is fixed-layout: a page per scene, valid for epubcheck."""

from __future__ import annotations

import dataclasses
import subprocess
import zipfile
from pathlib import Path

import pytest

from bookbuild.render.epub import render_epub
from tests.helpers.render_views import english_book, illustration, korean_book
from tests.render.test_epub import _epubcheck_command


@pytest.mark.parametrize("make", [english_book, korean_book])
def test_picture_book_epub_is_pre_paginated_and_passes_epubcheck(
    tmp_path: Path, make: object
) -> None:
    book = make(theme="picture-book", page="auto")  # type: ignore[operator]
    cover = illustration("cover", (200, 100, 50), None, "cover art", size=(600, 800))
    epub = render_epub(dataclasses.replace(book, cover=cover), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("OEBPS/content.opf").decode()
        scenes = {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("OEBPS/chapter-")
        }
    assert '<meta property="rendition:layout">pre-paginated</meta>' in opf
    assert 'properties="rendition:layout-reflowable"' in opf  # contents and colophon
    assert len(scenes) >= 2 * len(book.chapters)  # the picture, then the long text after it
    assert all('name="viewport" content="width=1200, height=1200"' in x for x in scenes.values())
    assert sum('class="scene-art"' in x for x in scenes.values()) == len(book.chapters)
    command = _epubcheck_command()
    if command is not None:
        done = subprocess.run([*command, str(epub)], capture_output=True, text=True)
        assert "0 errors / 0 warnings" in done.stdout + done.stderr, done.stdout + done.stderr


def test_short_text_goes_over_the_picture(tmp_path: Path) -> None:
    book = english_book(theme="picture-book", page="auto", chapters=1, paragraphs=1)
    short = dataclasses.replace(book.chapters[0], markdown="The hare runs.")
    epub = render_epub(dataclasses.replace(book, chapters=(short,)), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        names = [n for n in archive.namelist() if n.startswith("OEBPS/chapter-")]
        page = archive.read(names[0]).decode()
    assert len(names) == 1
    assert 'class="scene-art"' in page and "The hare runs." in page


def test_novel_epub_stays_reflowable(tmp_path: Path) -> None:
    with zipfile.ZipFile(render_epub(english_book(), tmp_path)) as archive:
        assert "pre-paginated" not in archive.read("OEBPS/content.opf").decode()
