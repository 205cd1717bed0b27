"""Illustrations from the writer's own picture files: used as-is, or as the base for edits."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bookbuild.build.make import MakeOptions, make
from bookbuild.media.images import decode_image
from bookbuild.project import Project
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store

NO_MODELS = """\
title: Sketchbook
language: en
chapters:
  - id: one
    title: One
    text: "My own drawing."
    illustrations:
      - {id: drawing, file: art/drawing.jpg, caption: A drawing}
"""

WITH_EDIT = """\
title: Sketchbook
language: en
models:
  painter: {provider: offline}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    text: "My own drawing, with a sun."
    illustrations:
      - id: drawing
        file: art/drawing.jpg
        edits:
          - inpaint: {mask: {rect: [0.0, 0.0, 0.5, 0.5]}, prompt: "a yellow sun"}
"""


def book(tmp_path: Path, spec: str) -> Path:
    (tmp_path / "art").mkdir()
    Image.new("RGB", (320, 200), (40, 90, 160)).save(tmp_path / "art" / "drawing.jpg")
    (tmp_path / "book.yaml").write_text(spec, encoding="utf-8")
    return tmp_path


def test_own_picture_needs_no_model_and_makes_no_call(tmp_path: Path) -> None:
    folder = book(tmp_path, NO_MODELS)
    summary = make(Project.open(folder), MakeOptions(formats=("html",)))
    assert summary.called == []
    html = (folder / "build" / "index.html").read_text(encoding="utf-8")
    assert "A drawing" in html
    pinned = Lock.load(folder / "book.lock").entries["one/drawing/image"]
    image = decode_image(Store(folder / ".bookbuild" / "store").get(pinned.digest))
    assert image.size == (320, 200) and pinned.media_type == "image/png"


def test_edits_apply_to_an_own_picture(tmp_path: Path) -> None:
    folder = book(tmp_path, WITH_EDIT)
    summary = make(Project.open(folder), MakeOptions(formats=("html",)))
    assert summary.called == ["one/drawing/edit-1"]
    store = Store(folder / ".bookbuild" / "store")
    lock = Lock.load(folder / "book.lock")
    before = decode_image(store.get(lock.entries["one/drawing/image"].digest)).convert("RGB")
    after = decode_image(store.get(lock.entries["one/drawing/edit-1"].digest)).convert("RGB")
    assert after.getpixel((300, 190)) == before.getpixel((300, 190))  # outside the mask
    assert after.getpixel((40, 40)) != before.getpixel((40, 40))  # inside the mask


def test_replacing_the_file_reruns_its_edits(tmp_path: Path) -> None:
    folder = book(tmp_path, WITH_EDIT)
    make(Project.open(folder), MakeOptions(formats=("html",)))
    Image.new("RGB", (320, 200), (200, 60, 60)).save(folder / "art" / "drawing.jpg")
    summary = make(Project.open(folder), MakeOptions(formats=("html",)))
    assert summary.called == ["one/drawing/edit-1"]
