"""Helpers for the provider tests that build a whole book against a fake service."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.store.objects import ActionRecord, Store
from tests.fakes.sdapi_drawing import png


def write_book(folder: Path, spec: str) -> Path:
    """book.yaml plus `art/sketch.png` (dark lines on white: a sketch and a reference)."""
    (folder / "book.yaml").write_text(spec, encoding="utf-8")
    (folder / "art").mkdir(exist_ok=True)
    (folder / "art" / "sketch.png").write_bytes(png((256, 192), (20, 20, 20)))
    return folder


def build(book: Path, env: dict[str, str], **options: Any) -> list[str]:
    """Make the book's HTML, one step at a time; the ids of the steps that called a model."""
    opts = MakeOptions(formats=("html",), jobs=1, **options)
    return sorted(make(Project.open(book, env=env), opts).called)


def pinned(book: Path, step: str) -> dict[str, str]:
    lock = json.loads((book / "book.lock").read_text(encoding="utf-8"))
    entry: dict[str, str] = lock["steps"][step]
    return entry


def output(book: Path, step: str) -> Image.Image:
    """The pinned picture of `step`, from the store."""
    data = Store(book / ".bookbuild" / "store").get(pinned(book, step)["digest"])
    return Image.open(BytesIO(data))


def record(book: Path, step: str) -> ActionRecord:
    """The store's record of `step` (metadata: seed, cost...)."""
    found = Store(book / ".bookbuild" / "store").lookup(pinned(book, step)["key"])
    assert found is not None, step
    return found


def is_pinned(book: Path, step: str) -> bool:
    lock = json.loads((book / "book.lock").read_text(encoding="utf-8"))
    return step in lock["steps"]
