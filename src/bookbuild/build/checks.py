"""Checks of a valid spec that need this machine (fonts through fontconfig), plus the spec's
warnings: what `validate` reports and `make` checks before it spends anything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bookbuild.errors import SpecError, SpecIssue
from bookbuild.spec import LoadedSpec
from bookbuild.spec.paths import resolve_in_book
from bookbuild.spec.positions import Loc
from bookbuild.spec.warnings import spec_warnings


@dataclass(frozen=True)
class BookChecks:
    errors: list[SpecIssue] = field(default_factory=list)
    warnings: list[SpecIssue] = field(default_factory=list)


def check_book(spec: LoadedSpec) -> BookChecks:
    """Font errors (the font is not installed; a character of the author's own text that no
    font has) and every warning, each at its `book.yaml:LINE:COL`."""
    checks = BookChecks(warnings=spec_warnings(spec))
    font_error, font_warning = _font_problems(spec)
    if font_error:
        checks.errors.append(spec.issue(("style", "font"), font_error.replace("\n", "; ")))
    else:
        checks.errors.extend(_glyph_problems(spec))
    if font_warning:
        checks.warnings.append(spec.issue(("style", "font"), font_warning))
    return checks


def check_fonts_before_spending(spec: LoadedSpec) -> None:
    """SpecError (exit 2, at `style.font` or at the text) when the PDF's font is not installed
    or a text the author wrote has a character no font of the book has."""
    error, _ = _font_problems(spec)
    if error:
        raise SpecError([spec.issue(("style", "font"), error.replace("\n", "; "))])
    glyphs = _glyph_problems(spec)
    if glyphs:
        raise SpecError(glyphs)


def _glyph_problems(spec: LoadedSpec) -> list[SpecIssue]:
    """A character no font has, in each text the spec holds: written before any model runs."""
    from bookbuild.render.fonts import glyph_problem

    book = spec.book
    found: list[SpecIssue] = []
    for loc, text in _author_texts(spec):
        problem = glyph_problem(text, book.language, book.style.font)
        if problem:
            file = spec.book.chapters[int(loc[1])].file if loc[-1] == "file" else None
            found.append(spec.issue(loc, f"`{file}`: {problem}" if file else problem))
    return found


def _author_texts(spec: LoadedSpec) -> Iterator[tuple[Loc, str]]:
    """Each printed text of the spec (titles, authors, blurb, captions, hand-written chapters)
    with where it is written."""
    book = spec.book
    yield ("title",), book.title
    if book.subtitle:
        yield ("subtitle",), book.subtitle
    for i, author in enumerate(book.authors):
        yield ("authors", i), author
    if book.blurb:
        yield ("blurb",), book.blurb
    if book.cover is not None and book.cover.caption:
        yield ("cover", "caption"), book.cover.caption
    for i, chapter in enumerate(book.chapters):
        yield ("chapters", i, "title"), chapter.title
        if chapter.text:
            yield ("chapters", i, "text"), chapter.text
        if chapter.file is not None:
            yield ("chapters", i, "file"), _read(spec, chapter.file)
        for j, ill in enumerate(chapter.illustrations):
            if ill.caption:
                yield ("chapters", i, "illustrations", j, "caption"), ill.caption


def _read(spec: LoadedSpec, relative: str) -> str:
    try:
        return resolve_in_book(spec.root, relative).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return ""  # validate reports unreadable files as errors


def _font_problems(spec: LoadedSpec) -> tuple[str | None, str | None]:
    from bookbuild.render.fonts import style_font_problems

    return style_font_problems(spec.book.style.font, spec.book.language)
