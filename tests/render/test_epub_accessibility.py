"""EPUB accessibility metadata and alt text on every picture."""

from __future__ import annotations

import zipfile
from pathlib import Path

from bookbuild.render.epub import render_epub
from tests.render.test_epub import korean_view


def test_epub_declares_access_modes_features_and_summary(tmp_path: Path) -> None:
    epub = render_epub(korean_view(), tmp_path)
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("OEBPS/content.opf").decode()
        pages = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")]
    for needed in (
        '"schema:accessMode">textual<',
        '"schema:accessMode">visual<',
        '"schema:accessModeSufficient">textual<',
        '"schema:accessibilityFeature">alternativeText<',
        '"schema:accessibilityFeature">tableOfContents<',
        '"schema:accessibilityHazard">none<',
        '"schema:accessibilitySummary">',
    ):
        assert needed in opf
    images = [tag for page in pages for tag in page.split("<img ")[1:]]
    assert images and all('alt="' in tag and 'alt=""' not in tag for tag in images)


def test_epub_cover_has_the_title_and_the_back_cover_the_blurb(tmp_path: Path) -> None:
    import dataclasses

    view = dataclasses.replace(korean_view(), blurb="느린 거북이의 이야기.\n\n누가 이길까?")
    with zipfile.ZipFile(render_epub(view, tmp_path)) as archive:
        cover = archive.read("OEBPS/cover.xhtml").decode()
        back = archive.read("OEBPS/backcover.xhtml").decode()
        colophon = archive.read("OEBPS/colophon.xhtml").decode()
        opf = archive.read("OEBPS/content.opf").decode()
    assert '<p class="cover-title">토끼와 거북이</p>' in cover
    assert "누가 이길까?" in back and opf.rstrip().count('idref="back-cover"') == 1
    assert "AI 사용 고지" in colophon and "sdapi sdxl" in colophon
