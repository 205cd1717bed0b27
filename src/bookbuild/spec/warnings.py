"""What is probably a mistake but still builds (`validate` prints these; `--strict` fails on
them): a chapter file with no text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookbuild.errors import SpecIssue
from bookbuild.spec.paths import resolve_in_book

if TYPE_CHECKING:
    from bookbuild.spec.loaded import LoadedSpec


def spec_warnings(spec: LoadedSpec) -> list[SpecIssue]:
    """Every warning of a valid spec, at its position."""
    found: list[SpecIssue] = []
    for i, chapter in enumerate(spec.book.chapters):
        if chapter.file is not None and _is_empty(spec, chapter.file):
            found.append(
                spec.issue(
                    ("chapters", i, "file"),
                    f"`{chapter.file}` is empty: chapter `{chapter.id}` would have no text; "
                    "write it, or give the chapter a `write:` brief instead",
                )
            )
    return found


def _is_empty(spec: LoadedSpec, relative: str) -> bool:
    try:
        return not resolve_in_book(spec.root, relative).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # validate reports unreadable files as errors
