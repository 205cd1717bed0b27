"""Raising a book's `defaults_version`: what it changes in the book, the book it becomes (for a
forecast, nothing written) and the text written (one line, every other byte kept)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bookbuild.spec.loaded import LoadedSpec
from bookbuild.spec.positions import parse_yaml
from bookbuild.spec.specwrite import set_top_field
from bookbuild.spec.versions import version_changes

__all__ = ["Changes", "describe_changes", "spec_changes", "upgraded_text", "with_changes"]

Changes = dict[str, tuple[str, Any]]
"""{"style": ("alt", "describe"), "cover": ("shape", "front")}: a field of a part of the book."""


def spec_changes(spec: LoadedSpec, version: int) -> Changes:
    """What `defaults_version: version` sets that the book does not write itself."""
    data = parse_yaml(spec.text, spec.file).data
    return version_changes(data, version) if isinstance(data, Mapping) else {}


def describe_changes(changes: Changes) -> list[str]:
    """`cover.shape: front`, `style.alt: describe`: each change as the field one would write."""
    return [f"{part}.{key}: {value}" for part, (key, value) in changes.items()]


def with_changes(spec: LoadedSpec, changes: Changes, version: int | None = None) -> LoadedSpec:
    """The spec as if it wrote `changes` (and `defaults_version: version`); the file is not
    touched."""
    book = spec.book
    update: dict[str, Any] = {} if version is None else {"defaults_version": version}
    for part, (key, value) in changes.items():
        current = getattr(book, part)
        if current is not None:
            update[part] = current.model_copy(update={key: value})
    return replace(spec, book=book.model_copy(update=update))


def upgraded_text(text: str, version: int) -> str:
    """book.yaml's text with `defaults_version: version` (replaced, or added above `title:`)."""
    return set_top_field(text, "defaults_version", version)
