"""`defaults_version:`: 1 (absent) or 2; anything else is refused by `validate` at its place in
book.yaml with exit 2; version 2 fills in `cover.shape: front` and `style.alt: describe` only
where the book writes nothing; `defaults: 2` (the presets' field) says which field is meant;
the JSON Schema documents the versions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main
from bookbuild.project import book_json_schema, load_spec
from tests.helpers.spec_books import write_book

BOOK = """\
title: Book
defaults_version: VALUE
models:
  writer: {provider: offline}
defaults: {text: writer, image: writer, prompt: writer}
characters:
  fox: {name: Fox, description: a small red fox}
cover:
  id: front
  describe: a fox
  characters: [fox]
chapters:
  - id: one
    title: One
    text: a
"""


def _refused(tmp_path: Path, text: str, alone: bool = True) -> tuple[str, str, str]:
    write_book(tmp_path, text)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    found = re.search(r"book\.yaml:(\d+):(\d+): (.*)", result.output)
    assert found, result.output
    if alone:  # no follow-on errors (the rest of the book is checked as it is)
        assert len(re.findall(r"book\.yaml:\d+:\d+", result.output)) == 1, result.output
    return found.group(1), found.group(2), found.group(3)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("3", "got `3`"),
        ("0", "got `0`"),
        ("true", "got `true`"),
        ('"2"', 'the text "2"'),
        ("[2]", "got `[2]`"),
        ("{v: 2}", "got `{'v': 2}`"),
    ],
)
def test_validate_refuses_an_unknown_version_at_its_line_and_column(
    tmp_path: Path, value: str, said: str
) -> None:
    line, col, message = _refused(tmp_path, BOOK.replace("VALUE", value))
    assert (line, col) == ("2", "19")
    assert "`defaults_version` should be 1 or 2" in message and said in message
    assert "cover.shape: front" in message and "style.alt: describe" in message


def test_an_integer_under_defaults_names_the_version_field(tmp_path: Path) -> None:
    text = BOOK.replace("defaults_version: VALUE\n", "").replace(
        "defaults: {text: writer, image: writer, prompt: writer}", "defaults: 2"
    )
    line, col, message = _refused(tmp_path, text, alone=False)  # and: pictures lack a preset
    assert (line, col) == ("4", "11")
    assert "names the cast" not in message
    assert "`defaults_version: 2`" in message


def test_version_2_fills_in_only_what_the_book_does_not_write(tmp_path: Path) -> None:
    two = load_spec(write_book(tmp_path / "two", BOOK.replace("VALUE", "2"))).book
    assert two.defaults_version == 2 and two.style.alt == "describe"
    assert two.cover is not None and two.cover.shape == "front"
    one = load_spec(write_book(tmp_path / "one", BOOK.replace("VALUE", "1"))).book
    assert one.style.alt == "auto" and one.cover is not None and one.cover.shape is None
    absent = BOOK.replace("defaults_version: VALUE\n", "")
    assert load_spec(write_book(tmp_path / "none", absent)).book == one.model_copy(
        update={"defaults_version": 1}
    )
    own = BOOK.replace("VALUE", "2").replace("  id: front\n", "  id: front\n  shape: wrap\n")
    own += "style: {alt: auto}\n"
    book = load_spec(write_book(tmp_path / "own", own)).book
    assert book.style.alt == "auto" and book.cover is not None and book.cover.shape == "wrap"
    preset = BOOK.replace("VALUE", "2").replace("  id: front\n", "  id: front\n  shape: preset\n")
    cover = load_spec(write_book(tmp_path / "preset", preset)).book.cover
    assert cover is not None and cover.shape is None  # the preset's own size, as version 1
    sized = BOOK.replace("VALUE", "2").replace("  id: front\n", "  id: front\n  width: 640\n")
    cover = load_spec(write_book(tmp_path / "sized", sized)).book.cover
    assert cover is not None and cover.shape is None  # its own size wins


def test_a_book_without_a_cover_gets_no_cover_from_version_2(tmp_path: Path) -> None:
    cover = "cover:\n  id: front\n  describe: a fox\n  characters: [fox]\n"
    text = BOOK.replace("VALUE", "2").replace(cover, "")
    book = load_spec(write_book(tmp_path, text)).book
    assert book.cover is None and book.style.alt == "describe"


def test_the_schema_documents_the_versions() -> None:
    schema = book_json_schema()
    field = schema["properties"]["defaults_version"]
    assert field["enum"] == [1, 2] and field["default"] == 1
    assert "cover.shape: front" in field["description"]
    assert "style.alt: describe" in field["description"]
    shape = schema["$defs"]["Cover"]["properties"]["shape"]
    assert "preset" in str(shape) and "defaults_version: 2" in shape["description"]
