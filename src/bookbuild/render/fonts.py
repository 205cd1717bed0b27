"""Font stacks per language and the preflight that every character of the book has a glyph.

Coverage comes from fontconfig (`fc-list`, the same database Pango/WeasyPrint use), read once per
family and cached for the process.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..errors import FontCoverageError, RenderError
from .context import labels
from .view import BookView, IllustrationView

CJK_FALLBACK = ("Noto Serif CJK KR", "Noto Sans CJK KR")
STACKS: dict[str, tuple[str, ...]] = {
    "ko": ("Noto Serif CJK KR", "Noto Sans CJK KR", "NanumMyeongjo", "NanumGothic"),
    "ja": ("Noto Serif CJK JP", "Noto Sans CJK JP"),
    "zh": ("Noto Serif CJK SC", "Noto Sans CJK SC"),
    "zh-tw": ("Noto Serif CJK TC", "Noto Sans CJK TC"),
    "zh-hk": ("Noto Serif CJK HK", "Noto Sans CJK HK"),
}
LATIN_STACK = ("Noto Serif", "DejaVu Serif")
MAX_LISTED = 30  # missing characters named in one error


def font_stack(language: str, font: str | None = None) -> tuple[str, ...]:
    """The families the book's text is set in, in order: `style.font` first when given, the
    language's fonts, then CJK fonts as a fallback (a Korean name inside an English book)."""
    lang = language.strip().lower().replace("_", "-")
    primary = STACKS.get(lang) or STACKS.get(lang.split("-")[0]) or LATIN_STACK
    stack = ([font] if font else []) + list(primary) + list(CJK_FALLBACK)
    return tuple(dict.fromkeys(stack))


@dataclass(frozen=True)
class TextPlace:
    """A piece of the book's text and where it is (for error messages)."""

    where: str
    text: str


def book_texts(view: BookView) -> Iterator[TextPlace]:
    """Every text of the book that gets printed."""
    yield TextPlace("book title", view.title)
    if view.subtitle:
        yield TextPlace("subtitle", view.subtitle)
    for author in view.authors:
        yield TextPlace("authors", author)
    if view.cover:
        yield from _illustration_texts("cover", view.cover)
    for chapter in view.chapters:
        where = f"chapter {chapter.id!r} ({chapter.title})"
        yield TextPlace(f"{where} title", chapter.title)
        yield TextPlace(f"{where} text", chapter.markdown)
        for ill in chapter.illustrations:
            yield from _illustration_texts(where, ill)
    yield TextPlace("theme labels", " ".join(labels(view.language).values()))


def _illustration_texts(where: str, ill: IllustrationView) -> Iterator[TextPlace]:
    if ill.caption:
        yield TextPlace(f"{where} caption of {ill.id!r}", ill.caption)
    if ill.provenance:
        made = ill.provenance
        text = " ".join((made.provider, made.model, *made.edits))
        yield TextPlace(f"{where} colophon entry of {ill.id!r}", text)


def check_font_coverage(view: BookView) -> None:
    """Raise FontCoverageError naming every character no font of the stack covers."""
    stack = font_stack(view.language, view.style.font)
    covered = stack_coverage(stack)
    missing = find_missing(book_texts(view), covered)
    if missing:
        raise FontCoverageError(_coverage_message(missing, stack))


def find_missing(places: Iterable[TextPlace], covered: frozenset[int]) -> dict[str, list[str]]:
    """Character -> the places it appears in, for characters outside `covered`."""
    missing: dict[str, list[str]] = {}
    for place in places:
        for char in dict.fromkeys(place.text):
            if needs_glyph(char) and ord(char) not in covered:
                missing.setdefault(char, []).append(place.where)
    return missing


def needs_glyph(char: str) -> bool:
    """Controls, format characters, line separators and variation selectors draw nothing."""
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return False
    code = ord(char)
    return not (0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF)


def _coverage_message(missing: dict[str, list[str]], stack: tuple[str, ...]) -> str:
    lines = [f"{len(missing)} character(s) have no glyph in the font stack:"]
    for char, places in list(missing.items())[:MAX_LISTED]:
        shown = "; ".join(places[:3]) + (f"; and {len(places) - 3} more" if len(places) > 3 else "")
        lines.append(f"  U+{ord(char):04X} {char!r} in {shown}")
    if len(missing) > MAX_LISTED:
        lines.append(f"  ... and {len(missing) - MAX_LISTED} more")
    absent = [family for family in stack if not family_charset(family)]
    lines.append("font stack: " + ", ".join(stack))
    if absent:
        lines.append("not installed: " + ", ".join(absent))
    lines.append("fix: remove the characters, or set style.font to an installed font that has them")
    return "\n".join(lines)


def stack_coverage(stack: Iterable[str]) -> frozenset[int]:
    covered: set[int] = set()
    for family in stack:
        covered |= family_charset(family)
    return frozenset(covered)


@lru_cache(maxsize=64)
def family_charset(family: str) -> frozenset[int]:
    """Code points covered by any installed face of `family` (empty if not installed)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise RenderError("fontconfig's fc-list is not installed; install fontconfig")
    pattern = ":family=" + _fc_escape(family)
    result = subprocess.run(
        [fc_list, "--format", "%{charset}\n", pattern],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RenderError(f"fc-list failed for {family!r}: {result.stderr.strip()}")
    return frozenset(_parse_charsets(result.stdout))


def _fc_escape(value: str) -> str:
    return "".join("\\" + c if c in "\\-:,=" else c for c in value)


def _parse_charsets(text: str) -> Iterator[int]:
    for item in text.split():
        first, _, last = item.partition("-")
        start = int(first, 16)
        yield from range(start, int(last, 16) + 1 if last else start + 1)
