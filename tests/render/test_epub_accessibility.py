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
