"""`style.alt`: `describe` or `auto` (the default); anything else is refused by `validate` at
its place in book.yaml, and the JSON Schema documents the choice."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bookbuild.cli.commands import main
from bookbuild.project import book_json_schema, load_spec
from tests.helpers.spec_books import write_book

BOOK = """\
title: Book
models:
  writer: {provider: offline}
defaults: {text: writer, image: writer}
style:
  theme: default
  alt: VALUE
chapters:
  - id: one
    title: One
    text: a
"""


def test_validate_refuses_an_unknown_alt_setting_at_its_line_and_column(tmp_path: Path) -> None:
    write_book(tmp_path, BOOK.replace("VALUE", "descibe"))
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2, result.output
    found = re.search(r"book\.yaml:(\d+):(\d+): (.*)", result.output)
    assert found, result.output
    assert (found.group(1), found.group(2)) == ("7", "8")  # the value of `alt:`
    assert "'auto' or 'describe'" in found.group(3)
    assert "Traceback" not in result.output


def test_alt_describe_is_accepted_and_auto_is_the_default(tmp_path: Path) -> None:
    spec = write_book(tmp_path / "a", BOOK.replace("VALUE", "describe"))
    assert load_spec(spec).book.style.alt == "describe"
    plain = write_book(tmp_path / "b", BOOK.replace("  alt: VALUE\n", ""))
    assert load_spec(plain).book.style.alt == "auto"


def test_the_schema_lists_the_alt_values_with_a_description() -> None:
    style = book_json_schema()["$defs"]["Style"]["properties"]["alt"]
    assert style["enum"] == ["auto", "describe"] and style["default"] == "auto"
    assert "book's language" in style["description"]
