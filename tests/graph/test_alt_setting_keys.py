"""`style.alt: describe` changes the keys of the `describe` steps only (and of what is made from
their output, downstream); a book that leaves it out, or writes the default `alt: auto`, keeps
every key it had."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key
from bookbuild.project import load_spec
from tests.helpers.step_keys import keys_of, stand_in

PINNED = Path(__file__).resolve().parent / "pinned_books"


def with_alt(source: Path, tmp_path: Path, value: str) -> Path:
    """A copy of the book with `alt: <value>` added to its flow-style `style:` line."""
    book = tmp_path / f"{source.name}-{value}"
    shutil.copytree(source, book, ignore=shutil.ignore_patterns(".bookbuild", "build"))
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    changed = re.sub(r"^style: \{(.*)\}$", rf"style: {{\1, alt: {value}}}", text, flags=re.M)
    assert changed != text, "the sample has no flow-style `style:` line"
    spec.write_text(changed, encoding="utf-8")
    return book


@pytest.mark.parametrize("name", ["hare-and-tortoise", "lighthouse-fox"])
def test_writing_the_default_alt_auto_keeps_every_key(tmp_path: Path, name: str) -> None:
    book = PINNED / name  # (the samples write `defaults_version: 2`, whose alt is describe)
    written = with_alt(book, tmp_path, "auto")
    for draft in (False, True):
        assert keys_of(written, draft) == keys_of(book, draft)


@pytest.mark.parametrize("name", ["hare-and-tortoise", "lighthouse-fox"])
def test_alt_describe_changes_only_the_describe_steps(tmp_path: Path, name: str) -> None:
    book = PINNED / name
    before = keys_of(book)
    graph = plan_book(load_spec(with_alt(book, tmp_path, "describe")))
    after = {
        sid: step_key(step, {dep: stand_in(dep) for _, dep in step.deps})
        for sid, step in graph.steps.items()
    }
    assert after.keys() == before.keys()
    changed = {sid for sid in after if after[sid] != before[sid]}
    describes = {sid for sid, step in graph.steps.items() if step.op == "describe"}
    # inputs are stand-in digests here: in a build, a picture made from a changed prompt
    # changes with it
    assert describes and changed == describes
    for sid in describes:
        assert graph.steps[sid].params["alt"] is True
    assert not any("alt" in graph.steps[sid].params for sid in after.keys() - describes)
