"""The cast in book.yaml: `characters:`, `style.art`, an illustration's `characters:` and
`{id}` placeholders, each problem reported at book.yaml:LINE:COL; and in `bookbuild schema`."""

from __future__ import annotations

from pathlib import Path

from bookbuild.project import book_json_schema, load_spec
from tests.helpers.cast_books import CAST_BOOK, write_cast_book
from tests.helpers.spec_books import issues_of, only_issue
from tests.spec.test_validate import locate


def book_with(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert old in CAST_BOOK
    text = CAST_BOOK.replace(old, new)
    return write_cast_book(tmp_path / "book", text) / "book.yaml", text


def test_the_sample_cast_book_is_valid(tmp_path: Path) -> None:
    spec = load_spec(write_cast_book(tmp_path / "book"))
    assert list(spec.book.characters) == ["hare", "tortoise"]
    assert spec.book.characters["tortoise"].reference is not None
    assert spec.book.characters["tortoise"].reference.generated


def test_unknown_character_in_an_illustration_suggests_the_closest_id(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "characters: [tortoise]", "characters: [tortise]")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "tortise]")
    assert "unknown character `tortise`" in issue.message
    assert "did you mean `tortoise`?" in issue.message


def test_unknown_placeholder_in_a_prompt_is_reported_at_the_prompt(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "{hare} running alone", "{harre} running alone")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, '"{harre} running')
    assert "`{harre}`" in issue.message and "did you mean `hare`?" in issue.message


def test_missing_reference_file_is_reported_at_the_file(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "{file: art/hare.png}", "{file: art/hares.png}")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "art/hares.png")
    assert "file not found: `art/hares.png`" in issue.message


def test_reference_outside_the_book_is_refused(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "{file: art/hare.png}", "{file: [art/hare.png, ../x.png]}")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "../x.png")
    assert "outside" in issue.message


def test_reference_that_is_not_a_picture_is_refused(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "{file: art/hare.png}", "{file: art/hare.txt}")
    (spec.parent / "art" / "hare.txt").write_text("a hare", encoding="utf-8")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "art/hare.txt")
    assert "is not a PNG, JPEG or WebP" in issue.message


def test_empty_description_is_reported_at_the_description(tmp_path: Path) -> None:
    old = '"an old green tortoise with a mossy shell and round glasses"'
    spec, text = book_with(tmp_path, old, '"  "')
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, '"  "')
    assert "character `tortoise` has an empty description" in issue.message


def test_style_reference_must_exist(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "reference: art/style.png}", "reference: art/styl.png}")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "art/styl.png")


def test_a_reference_is_a_file_or_a_sheet_not_both(tmp_path: Path) -> None:
    spec, _ = book_with(tmp_path, "{file: art/hare.png}", "{file: art/hare.png, seed: 3}")
    issues = issues_of(spec)
    assert any("either your `file` or a generated sheet: drop seed" in i.message for i in issues)


def test_a_generated_sheet_needs_a_known_preset(tmp_path: Path) -> None:
    spec, text = book_with(tmp_path, "reference: {seed: 11}", "reference: {seed: 11, model: paint}")
    issue = only_issue(spec)
    assert (issue.line, issue.col) == locate(text, "paint}")
    assert "unknown preset `paint`" in issue.message


def test_schema_exports_the_cast_with_descriptions() -> None:
    schema = book_json_schema()
    defs = schema["$defs"]
    assert "characters" in schema["properties"]
    character = defs["Character"]["properties"]
    assert {"name", "description", "traits", "reference", "lora", "weight"} <= set(character)
    assert all("description" in field for field in character.values())
    assert "art" in defs["Style"]["properties"]
    assert "characters" in defs["Illustration"]["properties"]
    assert "file" in defs["CharacterReference"]["properties"]
