"""Locks written by earlier versions stay valid: every step key of both sample books (real and
draft presets) is what bookbuild 0.1.0 before the stage layout computed, recorded in
keys_written_by_0.1.0.json (upstream outputs given fixed stand-in digests). The books are copies
of the samples as they were then, in pinned_books/ (the samples have since gained a cast: a book
without `characters:` and `style.art` must keep these keys)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key
from bookbuild.project import load_spec

PINNED = Path(__file__).resolve().parent / "pinned_books"
RECORDED = json.loads((Path(__file__).parent / "keys_written_by_0.1.0.json").read_text())


def _stand_in(step_id: str) -> str:
    return "sha256:" + hashlib.sha256(step_id.encode()).hexdigest()


def _keys(name: str, draft: bool) -> dict[str, str]:
    graph = plan_book(load_spec(PINNED / name), draft=draft)
    label = f"{name}{' --draft' if draft else ''}"
    return {
        f"{label} {sid}": step_key(step, {dep: _stand_in(dep) for _, dep in step.deps})
        for sid, step in graph.steps.items()
    }


@pytest.mark.parametrize("draft", [False, True], ids=["real", "draft"])
@pytest.mark.parametrize("name", ["hare-and-tortoise", "lighthouse-fox"])
def test_sample_book_keys_are_those_the_earlier_version_wrote(name: str, draft: bool) -> None:
    label = f"{name}{' --draft' if draft else ''}"
    recorded = {k: v for k, v in RECORDED.items() if k.rsplit(" ", 1)[0] == label}
    assert recorded, "no recorded keys for this book"
    assert _keys(name, draft) == recorded
