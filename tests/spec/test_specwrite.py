"""The round-trip writer changes exactly what it is asked to and keeps every other byte."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from bookbuild.errors import SpecWriteError
from bookbuild.spec.specwrite import (
    IllustrationRef,
    add_edit,
    move_edit,
    remove_edit,
    set_chapter_field,
    set_field,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_books"
HARE = (SAMPLES / "hare-and-tortoise" / "book.yaml").read_text(encoding="utf-8")
CHALLENGE = IllustrationRef(1, 0)  # race/challenge: two edits, comments, a multi-line flow map
RECT = {"inpaint": {"mask": {"rect": [0.1, 0.2, 0.3, 0.4]}, "prompt": "a hat: red"}}


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def edits_of(text: str) -> list[dict[str, object]]:
    return yaml.safe_load(text)["chapters"][1]["illustrations"][0]["edits"]


def test_add_edit_appends_one_line_and_keeps_every_other_byte() -> None:
    new = add_edit(HARE, CHALLENGE, RECT)
    removed, added = changed_lines(HARE, new)
    assert removed == []
    assert added == [
        "          - inpaint: {mask: {rect: [0.1, 0.2, 0.3, 0.4]}, prompt: 'a hat: red'}"
    ]
    assert edits_of(new)[-1] == RECT


def test_add_edit_at_a_position_inserts_before_that_edit() -> None:
    new = add_edit(HARE, CHALLENGE, RECT, at=0)
    assert edits_of(new)[0] == RECT
    assert len(edits_of(new)) == 3
    assert changed_lines(HARE, new)[0] == []


def test_add_edit_creates_the_edits_list_when_there_is_none() -> None:
    new = add_edit(HARE, IllustrationRef(0, 0), {"upscale": {"scale": 2}})
    removed, added = changed_lines(HARE, new)
    assert removed == []
    assert added == ["        edits:", "          - upscale: {scale: 2}"]


def test_remove_and_move_keep_the_multiline_flow_mapping_as_written() -> None:
    removed_text = remove_edit(HARE, CHALLENGE, 0)
    assert '                      prompt: "a bright morning sun"}' in removed_text
    assert len(edits_of(removed_text)) == 1
    moved = move_edit(HARE, CHALLENGE, 1, 0)
    assert [
        next(iter(e["inpaint"]["mask"])) if isinstance(e["inpaint"]["mask"], dict) else "png"
        for e in edits_of(moved)
    ] == ["ellipse", "png"]
    assert sorted(moved.splitlines()) == sorted(HARE.splitlines())


def test_removing_the_last_edit_removes_the_edits_key() -> None:
    once = remove_edit(HARE, CHALLENGE, 0)
    twice = remove_edit(once, CHALLENGE, 0)
    assert "edits" not in yaml.safe_load(twice)["chapters"][1]["illustrations"][0]
    assert changed_lines(HARE, twice)[1] == []


def test_set_field_replaces_a_value_in_place_and_keeps_its_comment() -> None:
    text = HARE.replace("        take: 1\n", "        take: 1   # the one we liked\n")
    new = set_field(text, CHALLENGE, "take", 3)
    assert "        take: 3   # the one we liked\n" in new
    assert changed_lines(text, new) == (
        ["        take: 1   # the one we liked"],
        ["        take: 3   # the one we liked"],
    )


def test_set_field_adds_a_missing_key_before_the_edits() -> None:
    new = set_field(HARE, CHALLENGE, "freeze", True)
    assert changed_lines(HARE, new) == ([], ["        freeze: true"])
    assert yaml.safe_load(new)["chapters"][1]["illustrations"][0]["freeze"] is True
    chapter = set_chapter_field(HARE, 1, "freeze", True)
    assert yaml.safe_load(chapter)["chapters"][1]["freeze"] is True
    assert changed_lines(HARE, chapter)[0] == []


def test_every_comment_survives_an_edit() -> None:
    comments = [line for line in HARE.splitlines() if "#" in line]
    new = add_edit(HARE, CHALLENGE, RECT)
    assert [line for line in new.splitlines() if "#" in line] == comments


def test_a_flow_style_illustration_falls_back_to_the_full_round_trip() -> None:
    text = (
        "title: T\nchapters:\n  - id: a  # first\n    title: A\n    text: hi\n"
        "    illustrations: [{prompt: p}]\n"
    )
    new = add_edit(text, IllustrationRef(0, 0), RECT)
    assert yaml.safe_load(new)["chapters"][0]["illustrations"][0]["edits"] == [RECT]
    assert "# first" in new


def test_an_unknown_illustration_or_edit_is_a_clear_error() -> None:
    with pytest.raises(SpecWriteError, match="no chapters"):
        add_edit(HARE, IllustrationRef(9, 0), RECT)
    with pytest.raises(SpecWriteError, match="no edit number 5"):
        remove_edit(HARE, CHALLENGE, 4)
