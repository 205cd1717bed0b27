"""Checks of a valid spec that need this machine (fonts through fontconfig), plus the spec's
warnings: what `validate` reports and `make` checks before it spends anything."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookbuild.errors import SpecError, SpecIssue
from bookbuild.spec import LoadedSpec
from bookbuild.spec.warnings import spec_warnings


@dataclass(frozen=True)
class BookChecks:
    errors: list[SpecIssue] = field(default_factory=list)
    warnings: list[SpecIssue] = field(default_factory=list)


def check_book(spec: LoadedSpec) -> BookChecks:
    """Font errors and every warning, each at its `book.yaml:LINE:COL`."""
    checks = BookChecks(warnings=spec_warnings(spec))
    font_error, font_warning = _font_problems(spec)
    if font_error:
        checks.errors.append(spec.issue(("style", "font"), font_error.replace("\n", "; ")))
    if font_warning:
        checks.warnings.append(spec.issue(("style", "font"), font_warning))
    return checks


def check_fonts_before_spending(spec: LoadedSpec) -> None:
    """SpecError (exit 2, at `style.font`) when the PDF's font is not installed."""
    error, _ = _font_problems(spec)
    if error:
        raise SpecError([spec.issue(("style", "font"), error.replace("\n", "; "))])


def _font_problems(spec: LoadedSpec) -> tuple[str | None, str | None]:
    from bookbuild.render.fonts import style_font_problems

    return style_font_problems(spec.book.style.font, spec.book.language)
