"""Errors a new author meets, found before anything is spent: fonts, tabs and indentation,
mistyped paths, empty chapters; each with its book.yaml:LINE:COL and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    made = CliRunner().invoke(main, ["init", str(folder), "--template", "novel"])
    assert made.exit_code == 0, made.output
    return folder


def edit(book: Path, old: str, new: str) -> None:
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(book: Path, needle: str) -> int:
    lines = (book / "book.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def validate(book: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args, str(book)])
    return result.exit_code, result.output


def test_a_font_that_is_not_installed_fails_validate_at_its_line(book: Path) -> None:
    edit(book, "page: 5.5x8.5in}", 'page: 5.5x8.5in, font: "Comic Sanz Nowhere"}')
    code, out = validate(book)
    assert code == 2
    assert f"book.yaml:{line_of(book, 'Comic Sanz')}:" in out
    assert "style.font 'Comic Sanz Nowhere' is not installed" in out
    assert "Traceback" not in out


def test_a_font_that_is_not_installed_stops_make_before_any_call(book: Path) -> None:
    edit(book, "page: 5.5x8.5in}", 'page: 5.5x8.5in, font: "Comic Sanz Nowhere"}')
    result = CliRunner().invoke(main, ["make", str(book), "--draft", "--plain"])
    assert result.exit_code == 2, result.output
    assert "is not installed" in result.output
    assert not list((book / ".bookbuild").rglob("objects/sha256/*/*"))


def test_a_latin_font_for_a_korean_book_is_a_warning_and_an_error_under_strict(
    tmp_path: Path,
) -> None:
    book = tmp_path / "ko"
    CliRunner().invoke(main, ["init", str(book), "--template", "korean-novel"])
    edit(book, 'font: "Noto Serif CJK KR"', 'font: "DejaVu Serif"')
    code, out = validate(book)
    assert code == 0
    assert "warning:" in out and "'DejaVu Serif' has no Hangul" in out
    assert "Noto Serif CJK KR" in out  # the fix
    code, out = validate(book, "--strict")
    assert code == 2 and "'DejaVu Serif' has no Hangul" in out and "warning:" not in out


def test_a_tab_in_the_indentation_is_named(book: Path) -> None:
    edit(book, "  - id: letter", "\t- id: letter")
    code, out = validate(book)
    assert code == 2
    assert f"book.yaml:{line_of(book, '- id: letter')}:1: a tab character in the indentation" in out
    assert "indent with spaces, not tabs" in out


def test_bad_indentation_names_both_lines_indents(book: Path) -> None:
    edit(book, "    title: The Letter", "     title: The Letter")
    code, out = validate(book)
    assert code == 2
    assert "bad indentation" in out
    line = line_of(book, "     title: The Letter")
    assert f"line {line} starts at column 6 and the line above it at column 5" in out


def test_a_mistyped_chapter_file_gets_a_did_you_mean(book: Path) -> None:
    edit(book, "file: chapters/bottle.md", "file: chapters/botle.md")
    code, out = validate(book)
    assert code == 2
    assert "file not found: `chapters/botle.md`" in out
    assert "did you mean `chapters/bottle.md`?" in out


def test_a_mistyped_folder_is_matched_by_the_file_name(book: Path) -> None:
    edit(book, "file: chapters/bottle.md", "file: chapter/bottle.md")
    code, out = validate(book)
    assert code == 2 and "did you mean `chapters/bottle.md`?" in out


def test_an_empty_chapter_file_is_warned(book: Path) -> None:
    (book / "chapters" / "bottle.md").write_text("\n  \n", encoding="utf-8")
    code, out = validate(book)
    assert code == 0
    line = line_of(book, "file: chapters/bottle.md")
    assert f"warning: book.yaml:{line}:11: `chapters/bottle.md` is empty" in out
    assert validate(book, "--strict")[0] == 2


GLYPHLESS = "\ue000"  # a private-use code point: no installed font draws it


def test_a_character_no_font_has_in_a_chapter_file_fails_validate_at_the_file(book: Path) -> None:
    chapter = book / "chapters" / "bottle.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nA sign: {GLYPHLESS}\n", "utf-8")
    code, out = validate(book)
    assert code == 2
    line = line_of(book, "file: chapters/bottle.md")
    assert f"book.yaml:{line}:11: `chapters/bottle.md`: 1 character(s) have no glyph" in out
    assert "U+E000" in out and "Noto Serif" in out  # which character, which fonts were tried


def test_a_character_no_font_has_in_a_title_stops_make_before_any_call(book: Path) -> None:
    edit(book, "title: The Letter", f"title: The Letter {GLYPHLESS}")
    result = CliRunner().invoke(main, ["make", str(book), "--draft", "--plain"])
    assert result.exit_code == 2, result.output
    assert f"book.yaml:{line_of(book, 'title: The Letter')}:" in result.output
    assert "no glyph" in result.output and "Traceback" not in result.output
    assert not list((book / ".bookbuild").rglob("objects/sha256/*/*"))  # nothing was made


def test_a_character_no_font_has_does_not_stop_an_html_only_build(book: Path) -> None:
    edit(book, "title: The Letter", f"title: The Letter {GLYPHLESS}")
    result = CliRunner().invoke(main, ["make", str(book), "--draft", "--plain", "--format", "html"])
    assert result.exit_code == 0, result.output


def test_validate_names_a_missing_font_and_a_mistyped_file_at_once(book: Path) -> None:
    edit(book, "page: 5.5x8.5in}", 'page: 5.5x8.5in, font: "Comic Sanz Nowhere"}')
    edit(book, "file: chapters/bottle.md", "file: chapters/botle.md")
    code, out = validate(book)
    assert code == 2
    assert f"book.yaml:{line_of(book, 'Comic Sanz')}:" in out and "is not installed" in out
    assert f"book.yaml:{line_of(book, 'chapters/botle.md')}:11: file not found" in out
