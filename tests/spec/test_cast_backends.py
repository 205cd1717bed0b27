"""Issue 17: `validate` asks each picture's back end about its cast. Stability has no character
reference: a warning at the picture (an error under --strict); a ModelsLab family without
IP-Adapter cannot send the hare's picture: an error, or a warning for a describe: picture whose
cast is not known yet. A book without a cast gets nothing new."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main
from bookbuild.errors import SpecError
from bookbuild.project import load_spec
from tests.helpers.cast_books import CAST_BOOK, write_cast_book

OFFLINE_PAINTER = "painter: {provider: offline, width: 320, height: 256}"


def book_with(tmp_path: Path, painter: str, spec: str = CAST_BOOK) -> Path:
    return write_cast_book(tmp_path / "book", spec.replace(OFFLINE_PAINTER, f"painter: {painter}"))


def line_of(book: Path, text: str) -> int:
    lines = (book / "book.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def validate(book: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(book), *args])
    return result.exit_code, result.output


def test_stability_warns_at_each_picture_that_its_characters_rely_on_descriptions(
    tmp_path: Path,
) -> None:
    book = book_with(tmp_path, "{provider: stability, model: core}")
    code, output = validate(book)
    assert code == 0, output
    alone = line_of(book, "- id: alone")
    found = re.findall(
        rf"book\.yaml:{alone}:\d+: warning: preset `painter` \(stability\): (.*)", output
    )
    assert found and "hare rely on their descriptions only" in found[0]
    assert "warning(s)" in output


def test_under_strict_the_warnings_are_errors(tmp_path: Path) -> None:
    book = book_with(tmp_path, "{provider: stability, model: core}")
    code, output = validate(book, "--strict")
    assert code == 2
    assert "rely on their descriptions only" in output


def test_an_sdapi_family_without_ip_adapter_is_an_error_at_the_picture(tmp_path: Path) -> None:
    book = book_with(tmp_path, "{provider: sdapi, api: v4, model: m}")
    with pytest.raises(SpecError) as caught:
        load_spec(book)
    alone = line_of(book, "- id: alone")
    messages = [str(issue) for issue in caught.value.issues]
    assert any(f"book.yaml:{alone}:" in m and "`api: v6`" in m for m in messages), messages


def test_a_describe_picture_whose_cast_is_unknown_only_warns(tmp_path: Path) -> None:
    spec = CAST_BOOK.replace(
        '        prompt: "{hare} running alone through the meadow"\n',
        '        describe: "running"\n',
    ).replace("        characters: [tortoise]\n", "")
    book = book_with(tmp_path, "{provider: sdapi, api: v4, model: m}", spec)
    code, output = validate(book)
    assert code == 0, output
    assert "warning: preset `painter` (sdapi): if its describe: step puts them in the picture" in (
        output
    )


def test_a_book_without_a_cast_gets_no_warnings(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(
        "title: T\nlanguage: en\nmodels:\n  p: {provider: stability}\ndefaults: {image: p}\n"
        "chapters:\n  - id: a\n    title: A\n    text: hi\n"
        "    illustrations:\n      - {id: x, prompt: a fox}\n",
        encoding="utf-8",
    )
    code, output = validate(tmp_path, "--strict")
    assert code == 0 and "warning" not in output, output
