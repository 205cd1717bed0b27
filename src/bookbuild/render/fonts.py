"""Font stacks per language and the preflight that every character of the book has a glyph.

Coverage comes from fontconfig (`fc-list`, the same database Pango/WeasyPrint use), read once per
family and cached for the process.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..errors import FontCoverageError, RenderError
from .frontmatter import ai_disclosure
from .labels import labels
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
MAX_FAMILIES = 8  # installed families suggested when style.font is not installed
SCRIPT_NAMES = {"ko": "Hangul", "ja": "Japanese", "zh": "Chinese"}


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
    if view.blurb:
        yield TextPlace("blurb", view.blurb)
    yield TextPlace("AI disclosure", " ".join(ai_disclosure(view)))


def _illustration_texts(where: str, ill: IllustrationView) -> Iterator[TextPlace]:
    if ill.caption:
        yield TextPlace(f"{where} caption of {ill.id!r}", ill.caption)
    if ill.provenance:
        made = ill.provenance
        text = " ".join((made.provider, made.model, *made.edits))
        yield TextPlace(f"{where} colophon entry of {ill.id!r}", text)


def check_font_coverage(view: BookView) -> None:
    """Raise FontCoverageError when `style.font` is not installed (the PDF would silently be
    set in a fallback font), or naming every character no font of the stack covers."""
    check_style_font(view)
    stack = font_stack(view.language, view.style.font)
    covered = stack_coverage(stack)
    missing = find_missing(book_texts(view), covered)
    if missing:
        raise FontCoverageError(_coverage_message(missing, stack))


def check_style_font(view: BookView) -> None:
    """FontCoverageError when `style.font` names a family fontconfig does not know."""
    font = (view.style.font or "").strip()
    if font and not family_charset(font):
        raise FontCoverageError(missing_font_message(font, view.language))


def missing_font_message(font: str, language: str) -> str:
    lang = _primary_language(language)
    script = SCRIPT_NAMES.get(lang, f"language {lang!r}")
    families = families_for_language(lang)
    preferred = [f for f in font_stack(language) if f in families]
    suggested = list(dict.fromkeys([*preferred, *families]))[:MAX_FAMILIES]
    if suggested:
        found = f"installed families with {script} include: " + ", ".join(suggested)
    else:
        found = f"no installed family supports {script}"
    lines = [f"style.font {font!r} is not installed; {found}"]
    names = {name.lower(): name for name in installed_families()}
    close = difflib.get_close_matches(font.lower(), names, n=3, cutoff=0.75)
    if close:
        lines.append("did you mean: " + ", ".join(repr(names[name]) for name in close))
    lines.append(
        "fix: install the font, or set style.font to an installed family "
        "(without it, the PDF would silently be set in a fallback font)"
    )
    return "\n".join(lines)


def _primary_language(language: str) -> str:
    return language.strip().lower().replace("_", "-").split("-")[0] or "und"


@lru_cache(maxsize=16)
def families_for_language(lang: str) -> tuple[str, ...]:
    """Installed families fontconfig says support `lang` (first name of each, sorted)."""
    return _fc_families(":lang=" + _fc_escape(lang))


@lru_cache(maxsize=1)
def installed_families() -> tuple[str, ...]:
    return _fc_families(":")


def _fc_families(pattern: str) -> tuple[str, ...]:
    listed = _fc_list("%{family[0]}\n", pattern)
    return tuple(sorted({line.strip() for line in listed.splitlines() if line.strip()}))


def _fc_list(fmt: str, pattern: str) -> str:
    """What `fc-list --format FMT PATTERN` prints; RenderError if fontconfig is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise RenderError("fontconfig's fc-list is not installed; install fontconfig")
    result = subprocess.run(
        [fc_list, "--format", fmt, pattern],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RenderError(f"fc-list failed for {pattern!r}: {result.stderr.strip()}")
    return result.stdout


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
    listed = _fc_list("%{charset}\n", ":family=" + _fc_escape(family))
    return frozenset(_parse_charsets(listed))


def family_files(families: Iterable[str]) -> tuple[str, ...]:
    """The font files of every installed face of these families (one fc-list run)."""
    wanted = set(families)
    listed = _fc_list("%{family}\t%{file}\n", ":")
    files = set()
    for line in listed.splitlines():
        names, _, path = line.partition("\t")
        if path and wanted & {name.strip() for name in names.split(",")}:
            files.add(path.strip())
    return tuple(sorted(files))


def _fc_escape(value: str) -> str:
    return "".join("\\" + c if c in "\\-:,=" else c for c in value)


def _parse_charsets(text: str) -> Iterator[int]:
    for item in text.split():
        first, _, last = item.partition("-")
        start = int(first, 16)
        yield from range(start, int(last, 16) + 1 if last else start + 1)


def style_font_problems(font: str | None, language: str) -> tuple[str | None, str | None]:
    """(error, warning) about `style.font` before anything is spent: an error when fontconfig
    does not know the family, a warning when it lacks the book's script (its text would be set
    in a fallback font). Both None when the font is fine or not set."""
    font = (font or "").strip()
    if not font:
        return None, None
    if not family_charset(font):
        return missing_font_message(font, language), None
    lang = _primary_language(language)
    if lang in ("und", "en") or _fc_list("%{family[0]}\n", _family_with_lang(font, lang)).strip():
        return None, None
    script = SCRIPT_NAMES.get(lang, f"the {lang!r} language's letters")
    families = [f for f in font_stack(language) if f in families_for_language(lang)]
    better = f"; e.g. {', '.join(repr(f) for f in families[:3])}" if families else ""
    return None, (
        f"style.font {font!r} has no {script}: that text would be set in a fallback font; "
        f"choose a family that covers it{better}"
    )


def glyph_problem(text: str, language: str, font: str | None) -> str | None:
    """A message naming the characters of `text` that no font of the book's stack has (they
    would stop the PDF), or None: for the author's own texts, checked before anything is spent."""
    stack = font_stack(language, font)
    charsets = [family_charset(family) for family in stack]  # cached per family
    missing = [
        c
        for c in dict.fromkeys(text)
        if needs_glyph(c) and not any(ord(c) in charset for charset in charsets)
    ]
    if not missing:
        return None
    shown = ", ".join(f"U+{ord(c):04X} {c!r}" for c in missing[:MAX_LISTED])
    more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
    absent = [family for family, charset in zip(stack, charsets, strict=True) if not charset]
    not_installed = f" (not installed: {', '.join(absent)})" if absent else ""
    return (
        f"{len(missing)} character(s) have no glyph in the font stack ({', '.join(stack)})"
        f"{not_installed}: {shown}{more}; the PDF cannot be made; fix: remove them, or set "
        "style.font to an installed font that has them"
    )


def _family_with_lang(font: str, lang: str) -> str:
    return f":family={_fc_escape(font)}:lang={_fc_escape(lang)}"
