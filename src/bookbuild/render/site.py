"""Incremental HTML site: which chapter pages an edit changes.

A chapter page shows its chapter in full, links to its neighbours and the book's metadata; the
list of every chapter comes from the shared `toc.js` (contents.py), and the other chapters'
text and pictures are on index.html. So each chapter page has a key made of what it shows: the
book's metadata, style, cover, front matter and templates (the site key), the chapter itself,
its number and its neighbours' ids and titles. Templates that list every chapter on the page
(a book's own `theme/` may) put the whole list in the key. The keys are recorded in the build
folder with a digest of each page written; a page whose key and file are unchanged is neither
rendered nor written again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bookbuild.hashing import digest_of, key_of
from bookbuild.style import BASE, TEMPLATES, resolve_theme
from bookbuild.version import __version__

from ..fsutil import read_json_object, replace_file
from .context import Chapter
from .frontmatter import ai_disclosure
from .usage import TemplateUse, use_from_json, use_to_json
from .view import BookView, ChapterView, IllustrationView

PAGES_FILE = ".bookbuild-pages.json"  # in the build folder: page -> [key, digest of its bytes]
_FORMAT = 2  # bump when a page shows something new


def site_key(
    view: BookView,
    theme_dirs: Sequence[Path],
    downloads: Sequence[Any],
    shows_disclosure: bool = True,
    lists_chapters: bool = True,
    templates: str = "",
) -> str:
    """What every chapter page shows of the book as a whole (everything but the chapters);
    the AI disclosure (which names every picture by its caption) and the list of chapters only
    when the chapter page's templates use them."""
    return key_of(
        {
            "format": _FORMAT,
            "bookbuild": __version__,
            "book": [view.title, view.subtitle, list(view.authors), view.language],
            "style": repr(view.style),
            "cover": _illustration(view.cover) if view.cover else None,
            "epoch": view.source_date_epoch,
            "identifier": view.identifier,
            "blurb": view.blurb,
            "matter": repr(view.matter),
            "draft": view.draft,
            "disclosure": ai_disclosure(view) if shows_disclosure else None,
            "downloads": [list(d) for d in downloads],
            "templates": templates or templates_digest(view.style.theme, theme_dirs),
            "chapters": [[ch.id, ch.title] for ch in view.chapters] if lists_chapters else None,
        }
    )


def page_key(site: str, chapters: Sequence[ChapterView], number: int) -> str:
    """The key of chapter `number`'s page (0-based): the site, the chapter, its number and its
    neighbours (the previous and next links)."""
    return key_of(
        {
            "site": site,
            "number": number,
            "previous": _link(chapters[number - 1]) if number > 0 else None,
            "following": _link(chapters[number + 1]) if number + 1 < len(chapters) else None,
            **chapter_content(chapters[number]),
        }
    )


def chapter_content(chapter: ChapterView) -> dict[str, Any]:
    """What a chapter shows of itself: its id, titles, text, writer and pictures."""
    return {
        "id": chapter.id,
        "title": chapter.title,
        "short_title": chapter.short_title,
        "text": chapter.markdown,
        "written_by": chapter.written_by,
        "ills": [_illustration(ill) for ill in chapter.illustrations],
    }


def _link(chapter: ChapterView) -> list[str]:
    return [chapter.id, chapter.title]


def _illustration(ill: IllustrationView) -> list[Any]:
    return [ill.id, ill.digest, ill.width, ill.height, ill.caption, ill.alt, repr(ill.provenance)]


def templates_digest(theme: str, theme_dirs: Sequence[Path]) -> str:
    """The name and digest of every file a page's templates can come from."""
    folders = [*(Path(d) for d in theme_dirs), TEMPLATES / resolve_theme(theme), TEMPLATES / BASE]
    entries = []
    for number, folder in enumerate(folders):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                name = path.relative_to(folder).as_posix()
                entries.append([number, name, digest_of(path.read_bytes())])
    return key_of({"files": entries})


def navigation_only(chapter: Chapter) -> Chapter:
    """A chapter as the other chapters' pages see it: id, anchor, number and title."""
    return replace(chapter, blocks=(), figures=(), flow=())


def navigation_view(view: BookView) -> tuple[ChapterView, ...]:
    """The book's chapters as the other chapters' pages see them: without text or pictures."""
    return tuple(ChapterView(id=ch.id, title=ch.title, markdown="") for ch in view.chapters)


def view_for_page(view: BookView, navigation: Sequence[ChapterView], number: int) -> BookView:
    """The book as chapter `number`'s page sees it: the other chapters as in `navigation`."""
    own = view.chapters[number]
    return replace(view, chapters=(*navigation[:number], own, *navigation[number + 1 :]))


class PageRecord:
    """The keys and digests of the pages written last time, and the pictures and file stamps
    of the assets (in the build folder)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / PAGES_FILE
        self.out_dir = out_dir
        self.old = read_json_object(self.path)
        self.new: dict[str, list[Any]] = {}

    def current(self, page: str, key: str) -> bool:
        """The page on disk was made from `key` and nobody changed it since."""
        entry = self.old.get(page)
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] == key):
            return False
        try:
            data = (self.out_dir / page).read_bytes()
        except OSError:
            return False
        if digest_of(data) != entry[1]:
            return False
        self.new[page] = entry
        return True

    def wrote(self, page: str, key: str, data: bytes) -> None:
        self.new[page] = [key, digest_of(data)]

    def template_use(
        self, templates: str, name: str, analyse: Callable[[], TemplateUse | None]
    ) -> TemplateUse | None:
        """What template `name` uses (usage.py), kept with the digest of the templates it was
        read from: the templates are parsed again only when a file of them changed."""
        entry = f"#uses {name}"
        found = self.old.get(entry)
        if isinstance(found, list) and len(found) == 2 and found[0] == templates:
            self.new[entry] = found
            return use_from_json(found[1])
        use = analyse()
        self.new[entry] = [templates, use_to_json(use)]
        return use

    def asset_current(self, name: str, digest: str) -> bool:
        """The asset `name` (its path in the site) was written from the picture `digest` and
        its file was not touched since (same size, mtime and inode as when written): then its
        bytes need not be read, from the store or from the site."""
        entry = self.old.get(name)
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] == digest):
            return False
        if entry[1] != _file_stamp(self.out_dir / name):
            return False
        self.new[name] = entry
        return True

    def wrote_asset(self, name: str, digest: str) -> None:
        self.new[name] = [digest, _file_stamp(self.out_dir / name)]

    def save(self) -> None:
        if self.new != self.old:
            text = json.dumps(self.new, indent=1, sort_keys=True) + "\n"
            replace_file(self.path, text.encode("utf-8"))


def _file_stamp(path: Path) -> list[int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino]
