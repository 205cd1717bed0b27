"""docs/troubleshooting.md quotes the messages bookbuild prints: each quoted heading is made
again here, from a real book, and must be found in what the command printed (its numbers, paths
and names stand for any)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "troubleshooting.md"


def _init(tmp_path: Path, template: str = "novel") -> Path:
    book = tmp_path / "book"
    made = CliRunner().invoke(main, ["init", str(book), "--template", template])
    assert made.exit_code == 0, made.output
    return book


def _edit(book: Path, old: str, new: str) -> None:
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 2), result.output  # never a crash
    return result.output


def _no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    book = _init(tmp_path, "picture-book")
    return _run("make", str(book), "--plain")


def _tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    book = _init(tmp_path)
    _edit(book, "  - id: letter", "\t- id: letter")
    return _run("validate", str(book))


def _missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    book = _init(tmp_path)
    _edit(book, "file: chapters/bottle.md", "file: chapters/botle.md")
    return _run("validate", str(book))


def _empty_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    book = _init(tmp_path)
    (book / "chapters" / "bottle.md").write_text("\n", encoding="utf-8")
    return _run("validate", str(book))


def _font_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    book = _init(tmp_path)
    _edit(book, "page: 5.5x8.5in}", 'page: 5.5x8.5in, font: "Comic Sanz Nowhere"}')
    return _run("validate", str(book))


def _no_glyph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    book = _init(tmp_path)
    _edit(book, "title: The Letter", "title: The Letter \ue000")
    return _run("validate", str(book))


SCENARIOS: dict[str, Callable[[Path, pytest.MonkeyPatch], str]] = {
    "no API key": _no_key,
    "a tab character": _tab,
    "file not found": _missing_file,
    "is empty": _empty_file,
    "is not installed": _font_not_installed,
    "no glyph": _no_glyph,
}


def quoted_headings() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(r'^## "(.+)"\s*$', text, re.MULTILINE)


def heading_pattern(heading: str) -> re.Pattern[str]:
    """The heading as a pattern: `…` is anything on the line; a number, a `path` or a 'name'
    stands for any other."""
    parts = []
    for fragment in heading.split("…"):
        piece = re.escape(fragment.strip())
        piece = re.sub(r"\\`[^`]*?\\`|`[^`]*?`", "`[^`]+`", piece)
        piece = re.sub(r"'[^']*?'", "'[^']+'", piece)
        piece = re.sub(r"[0-9]+", "[0-9]+", piece)
        parts.append(piece)
    return re.compile(".*?".join(parts))


def test_every_quoted_heading_has_a_scenario() -> None:
    headings = quoted_headings()
    assert len(headings) >= len(SCENARIOS)
    for heading in headings:
        assert [key for key in SCENARIOS if key in heading], heading


@pytest.mark.parametrize("key", SCENARIOS)
def test_troubleshooting_quotes_the_message_bookbuild_prints(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (heading,) = [h for h in quoted_headings() if key in h]
    printed = " ".join(SCENARIOS[key](tmp_path, monkeypatch).split())
    assert heading_pattern(heading).search(printed), (heading, printed)


def test_a_heading_that_misquotes_the_message_does_not_match() -> None:
    printed = "error: book.yaml:12:9: style.font 'Comic Sanz' is not installed; installed ..."
    assert heading_pattern("style.font 'Comic Neue' is not installed …").search(printed)
    assert not heading_pattern("style.font: no font named … is installed").search(printed)
