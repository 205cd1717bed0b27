"""The book spec: typed models of book.yaml, loading with positions, validation, JSON Schema.

The names below are imported on first use, so that `bookbuild.spec.edits` (which the op table
reads) can be imported without the whole loader.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bookbuild.spec.loaded import LoadedSpec
    from bookbuild.spec.loader import load_spec
    from bookbuild.spec.models import Book
    from bookbuild.spec.paths import resolve_in_book
    from bookbuild.spec.schema import book_json_schema
    from bookbuild.spec.validate import validate_book

_HOMES = {
    "Book": "models",
    "LoadedSpec": "loaded",
    "book_json_schema": "schema",
    "load_spec": "loader",
    "resolve_in_book": "paths",
    "validate_book": "validate",
}

__all__ = [
    "Book",
    "LoadedSpec",
    "book_json_schema",
    "load_spec",
    "resolve_in_book",
    "validate_book",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"bookbuild.spec.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'bookbuild.spec' has no attribute {name!r}")
