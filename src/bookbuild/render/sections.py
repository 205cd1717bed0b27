"""index.html's chapter sections, kept between renders by what each shows.

index.html holds the whole book, so it is written on every render of the HTML; but a chapter's
section of it (`partials/chapter.html.j2`) shows only that chapter and the book's settings. Each
section is kept in the build folder (`.bookbuild-sections.json`) under a key of the site (as a
chapter page's: metadata, style, templates; the AI disclosure only if the section's templates
use it) and of the chapter (its number, text, title, pictures); an unchanged chapter's section
is neither rendered again nor its Markdown parsed. Sections whose templates read the list of
chapters or every figure, or choose templates at render time, are not kept (always rendered).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bookbuild.hashing import key_of

from ..fsutil import read_json_object, replace_file
from .site import chapter_content
from .view import ChapterView

__all__ = ["SECTIONS_FILE", "SECTION_TEMPLATE", "SectionCache"]

SECTIONS_FILE = ".bookbuild-sections.json"
SECTION_TEMPLATE = "partials/chapter.html.j2"
_FORMAT = 1  # bump when a section shows something new


class SectionCache:
    """The sections rendered last time (`site` None: keep none)."""

    def __init__(self, out_dir: Path, site: str | None) -> None:
        self.path = out_dir / SECTIONS_FILE
        self.site = site
        self.old = read_json_object(self.path) if site is not None else {}
        self.new: dict[str, str] = {}

    def key(self, chapters: Sequence[ChapterView], number: int) -> str | None:
        """The key of chapter `number`'s section (0-based); None when sections are not kept."""
        if self.site is None:
            return None
        content = chapter_content(chapters[number])
        return key_of({"format": _FORMAT, "site": self.site, "number": number, **content})

    def get(self, key: str) -> str | None:
        found = self.old.get(key)
        if isinstance(found, str):
            self.new[key] = found
            return found
        return None

    def put(self, key: str, html: str) -> None:
        self.new[key] = html

    def save(self) -> None:
        """Keep this render's sections only (the file is dropped when none are kept)."""
        if self.site is None:
            self.path.unlink(missing_ok=True)
        elif self.new != self.old:
            text = json.dumps(self.new, ensure_ascii=False, sort_keys=True) + "\n"
            replace_file(self.path, text.encode("utf-8"))
