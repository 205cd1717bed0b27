"""A picture's bytes are read from the store only by a renderer that needs them: an HTML render
after an edit writes only the assets that are missing or were changed, so it reads no other."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.build import assemble
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The digests of the pictures the renderers read (through the book's lazy bytes)."""
    seen: list[str] = []
    original = assemble.StoredBytes.__call__

    def counted(self: assemble.StoredBytes) -> bytes:
        seen.append(self.digest)
        return original(self)

    monkeypatch.setattr(assemble.StoredBytes, "__call__", counted)
    return seen


def recaption(folder: Path, caption: str) -> None:
    spec = folder / "book.yaml"
    text = spec.read_text("utf-8")
    spec.write_text(text.replace("caption: The lighthouse at dusk.", caption, 1), "utf-8")


def test_a_caption_edit_renders_the_html_without_reading_a_picture(
    tmp_path: Path, reads: list[str]
) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    written = sorted((folder / "build" / "assets").glob("*.png"))
    assert written and len(reads) == len(written)  # the first render writes every asset
    reads.clear()
    recaption(folder, "caption: The lighthouse at night.")
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    assert reads == []
    assert "The lighthouse at night." in (folder / "build" / "index.html").read_text("utf-8")


def test_a_missing_or_changed_asset_is_read_from_the_store_and_written_again(
    tmp_path: Path, reads: list[str]
) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    first, second = sorted((folder / "build" / "assets").glob("*.png"))[:2]
    good = first.read_bytes()
    first.unlink()
    second.write_bytes(b"scribbled over")
    reads.clear()
    recaption(folder, "caption: The lighthouse at noon.")
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    assert len(reads) == 2
    assert first.read_bytes() == good
    assert second.read_bytes().startswith(b"\x89PNG")


def test_a_pdf_still_gets_every_picture(tmp_path: Path, reads: list[str]) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html",)))
    reads.clear()
    make(Project.open(folder, draft=True), MakeOptions(formats=("epub",)))
    pictures = len(list((folder / "build" / "assets").glob("*.png")))
    assert len(set(reads)) == pictures  # the EPUB embeds them all: read, and checked, once each
