"""No lock written by the previous version goes stale for a book without `characters:` or
`style.art`: the keys of two sample books, computed on main before the cast landed, are pinned
in pinned_books/keys.json (the books are copies of the samples as they were then)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key
from bookbuild.hashing import digest_of
from bookbuild.spec import load_spec

PINNED = Path(__file__).parent / "pinned_books"
EXPECTED: dict[str, dict[str, str]] = json.loads((PINNED / "keys.json").read_text("utf-8"))


@pytest.mark.parametrize("book", sorted(EXPECTED))
def test_keys_of_books_without_a_cast_are_those_of_the_previous_version(book: str) -> None:
    name, _, flag = book.partition(" ")
    graph = plan_book(load_spec(PINNED / name), draft=flag == "--draft")
    outputs = {sid: digest_of(sid.encode()) for sid in graph.steps}
    keys = {sid: step_key(step, outputs) for sid, step in graph.steps.items()}
    assert keys == EXPECTED[book]
