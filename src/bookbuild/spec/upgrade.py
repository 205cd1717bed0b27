"""Raising a book's `defaults_version`: what it changes in the book, the book it becomes (for a
forecast, nothing written) and the text written (one line, every other byte kept)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bookbuild.spec.loaded import LoadedSpec
from bookbuild.spec.versions import version_changes

__all__ = ["Changes", "describe_changes", "spec_changes", "upgraded_text", "with_changes"]

Changes = dict[str, tuple[str, Any]]
"""{"style": ("alt", "describe"), "cover": ("shape", "front")}: a field of a part of the book."""


def spec_changes(spec: LoadedSpec, version: int) -> Changes:
    """What `defaults_version: version` sets that the book does not write itself (what it
    writes is where the loader found a position: no second parse of the file)."""
    written: dict[str, Any] = {}
    for part in ("style", "cover"):
        if (part,) in spec.positions and getattr(spec.book, part) is not None:
            written[part] = {
                loc[1]: True for loc in spec.positions if len(loc) == 2 and loc[0] == part
            }
    return version_changes(written, version)


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
    from bookbuild.spec.specwrite import set_top_field  # ruamel.yaml only when writing

    return set_top_field(text, "defaults_version", version)
