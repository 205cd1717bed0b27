"""Front and back matter from the spec's data: the copyright page's lines (rights, edition,
publisher, ISBN), the dedication, the epigraph and its source, acknowledgements, about the
author and the also-by list, with their headings in the book's language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from .view import BookView

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "rights": "All rights reserved.",
        "isbn": "ISBN {}",
        "acknowledgements": "Acknowledgements",
        "about_author": "About the Author",
        "about_authors": "About the Authors",
        "also_by": "Also by {}",
        "epigraph": "Epigraph",
        "dedication": "Dedication",
    },
    "ko": {
        "rights": "모든 권리 보유.",
        "isbn": "ISBN {}",
        "acknowledgements": "감사의 말",
        "about_author": "지은이 소개",
        "about_authors": "지은이 소개",
        "also_by": "{} 작가의 다른 책",
        "epigraph": "제사",
        "dedication": "헌사",
    },
}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language.split("-")[0].lower(), WORDS["en"])


def paragraphs(text: str) -> list[str]:
    """Plain text cut at blank lines, each paragraph's lines joined."""
    return [" ".join(part.split()) for part in text.strip().split("\n\n") if part.strip()]


@dataclass(frozen=True)
class Epigraph:
    lines: tuple[str, ...]
    source: str


def epigraph(text: str) -> Epigraph | None:
    """The epigraph's lines (kept as written) and its source (a last line starting with a
    dash)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    source = ""
    if len(lines) > 1 and lines[-1][:1] in ("—", "–", "-"):
        source = lines.pop().lstrip("—–- ").strip()
    return Epigraph(tuple(lines), source)


@dataclass(frozen=True)
class Matter:
    """What the templates show (empty values: the page is left out)."""

    copyright: tuple[str, ...]
    dedication: tuple[str, ...]
    epigraph: Epigraph | None
    acknowledgements: tuple[str, ...]
    about_author: tuple[str, ...]
    also_by: tuple[str, ...]
    headings: dict[str, str]


def copyright_lines(view: BookView, year: str) -> list[str]:
    """The copyright block: title and holder, rights, edition, publisher, ISBN."""
    data, said = view.matter, words(view.language)
    holder = ", ".join(view.authors) or data.publisher
    lines = [f"{view.title} · © {year} {holder}".rstrip() if holder else view.title]
    lines.append(data.rights or said["rights"])
    lines += [line for line in (data.edition, data.publisher) if line]
    if data.isbn:
        lines.append(said["isbn"].format(data.isbn))
    return lines


def matter(view: BookView, year: str) -> Matter:
    data, said = view.matter, words(view.language)
    about = "about_authors" if len(view.authors) > 1 else "about_author"
    headings = {
        "acknowledgements": said["acknowledgements"],
        "about_author": said[about],
        "also_by": said["also_by"].format(", ".join(view.authors)) if view.authors else "",
        "epigraph": said["epigraph"],
        "dedication": said["dedication"],
    }
    return Matter(
        copyright=tuple(copyright_lines(view, year)),
        dedication=tuple(paragraphs(data.dedication)),
        epigraph=epigraph(data.epigraph),
        acknowledgements=tuple(paragraphs(data.acknowledgements)),
        about_author=tuple(paragraphs(data.about_author)),
        also_by=tuple(t.strip() for t in data.also_by if t.strip()),
        headings=headings,
    )


ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
    (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip
EN_WORDS = (
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
    "Twenty",
)
SCENE_BREAKS = {
    "asterism": "⁂",
    "dinkus": "*\u2003*\u2003*",
    "fleuron": "❦",
    "rule": "",
    "space": "",
}


def roman(number: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


def chapter_label(number: int, style: str, language: str) -> str:
    """The chapter number as the opener shows it ("" for none)."""
    korean = language.split("-")[0].lower() == "ko"
    if style == "none":
        return ""
    if style == "roman":
        return roman(number)
    if style == "word":
        if korean:
            return f"제{number}장"
        return EN_WORDS[number] if number < len(EN_WORDS) else str(number)
    return str(number)


_LEAD = re.compile(r"^(<p[^>]*>)([^<]*)", re.DOTALL)
LEAD_IN_CHARS = 28  # a small-caps lead-in runs to the first word end after this many characters


def open_paragraph(html: str, opening: str) -> Markup:
    """The chapter's first paragraph with its opening: the first letter (after any opening
    quotation mark) in a floated `.drop-cap` span, or the first words in a `.lead-in` span.
    Only the paragraph's leading text is touched; its markup stays as rendered."""
    found = _LEAD.match(html)
    if opening not in ("drop-cap", "small-caps") or found is None or not found.group(2).strip():
        return Markup(html)
    tag, text, rest = found.group(1), found.group(2), html[found.end() :]
    if opening == "drop-cap":
        head = re.match(r"^(\s*[\"'“‘«„「『(]*)(\w)", text)
        if head is None:
            return Markup(html)
        quote, letter = head.group(1), head.group(2)
        span = f'<span class="drop-cap">{quote}{letter}</span>'
        return Markup(f"{tag}{span}{text[head.end() :]}{rest}")
    cut = text.find(" ", LEAD_IN_CHARS)
    lead, tail = (text, "") if cut < 0 else (text[:cut], text[cut:])
    return Markup(f'{tag}<span class="lead-in">{lead}</span>{tail}{rest}')
