"""Locks written by earlier versions stay valid: every step key of both sample books (real and
draft presets) is what bookbuild 0.1.0 before the stage layout computed, recorded in
keys_written_by_0.1.0.json (upstream outputs given fixed stand-in digests). The books are copies
of the samples as they were then, in pinned_books/ (the samples have since gained a cast: a book
without `characters:` and `style.art` must keep these keys). The one
deliberate change: offline (draft) pictures gained the DRAFT mark, so their keys hold `draft_mark`
and draft pictures pinned before it are made again (free); without that field they are the
recorded keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key, step_manifest
from bookbuild.hashing import key_of
from bookbuild.project import load_spec
from tests.helpers.step_keys import stand_in

PINNED = Path(__file__).resolve().parent / "pinned_books"
RECORDED = json.loads((Path(__file__).parent / "keys_written_by_0.1.0.json").read_text())


def _keys(name: str, draft: bool) -> dict[str, str]:
    graph = plan_book(load_spec(PINNED / name), draft=draft)
    label = f"{name}{' --draft' if draft else ''}"
    keys = {}
    for sid, step in graph.steps.items():
        inputs = {dep: stand_in(dep) for _, dep in step.deps}
        manifest = step_manifest(step, inputs)
        if manifest.pop("draft_mark", None) is not None:
            assert draft and step.kind == "image" and key_of(manifest) != step_key(step, inputs)
        keys[f"{label} {sid}"] = key_of(manifest)
    return keys


@pytest.mark.parametrize("draft", [False, True], ids=["real", "draft"])
@pytest.mark.parametrize("name", ["hare-and-tortoise", "lighthouse-fox"])
def test_sample_book_keys_are_those_the_earlier_version_wrote(name: str, draft: bool) -> None:
    label = f"{name}{' --draft' if draft else ''}"
    recorded = {k: v for k, v in RECORDED.items() if k.rsplit(" ", 1)[0] == label}
    assert recorded, "no recorded keys for this book"
    assert _keys(name, draft) == recorded
