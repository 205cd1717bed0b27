"""Helpers shared by the spec tests: write a book, collect its issues."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bookbuild.errors import SpecError, SpecIssue
from bookbuild.project import load_spec


def write_book(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "book.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def write_png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("L", (8, 8), 0)
    image.paste(255, (0, 0, 4, 8))  # half white: usable as a mask (all white is refused)
    image.save(path, format="PNG")


def issues_of(spec: Path) -> list[SpecIssue]:
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    return caught.value.issues


def only_issue(spec: Path) -> SpecIssue:
    issues = issues_of(spec)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]
