"""The book spec: typed models of book.yaml, loading with positions, validation, JSON Schema."""

from bookbuild.spec.loader import LoadedSpec, load_spec
from bookbuild.spec.models import Book
from bookbuild.spec.paths import resolve_in_book
from bookbuild.spec.schema import book_json_schema
from bookbuild.spec.validate import validate_book

__all__ = [
    "Book",
    "LoadedSpec",
    "book_json_schema",
    "load_spec",
    "resolve_in_book",
    "validate_book",
]
