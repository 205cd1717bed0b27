"""EPUB 3 output: `render_epub(view, out_dir, slug)` writes `<out_dir>/<slug>.epub` atomically.

The package holds a cover page (when the book has a cover), a title page, the navigation document
(table of contents and landmarks), one XHTML page per chapter with its illustrations as figures, and
a colophon with each illustration's provenance. Two renders of the same view give the same bytes:
fixed zip dates (from `source_date_epoch`), fixed permissions, sorted entries after `mimetype`.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from bookbuild.errors import RenderError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.render.context import make_chapter
from bookbuild.render.epub_content import EpubImage, epub_image, xml_text
from bookbuild.render.epub_fixed import (
    REFLOWABLE,
    FixedLayout,
    fixed_chapter_pages,
    fixed_layout,
    fixed_stylesheet,
)
from bookbuild.render.epub_meta import publishing_metadata
from bookbuild.render.epub_package import Item, Page, build_package, render_template, zip_package
from bookbuild.render.epub_xhtml import html_to_xhtml
from bookbuild.render.fetch import build_path
from bookbuild.render.frontmatter import ai_disclosure, blurb_paragraphs
from bookbuild.render.view import BookView, ChapterView, IllustrationView, Provenance
from bookbuild.render.wrapart import front_of_wrap

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_SANS_STACK = '"Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", sans-serif'
_SERIF_STACK = '"Noto Serif CJK KR", "Noto Serif KR", "NanumMyeongjo", serif'

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "landmarks": "Guide",
        "cover": "Cover",
        "titlepage": "Title page",
        "start": "Start of the book",
        "chapter": "Chapter",
        "colophon": "Colophon",
        "illustrations": "Illustrations",
        "provider": "Provider",
        "model": "Model",
        "seed": "Seed",
        "edits": "Edits",
        "identifier": "Identifier",
        "date": "Built",
        "back_cover": "Back cover",
        "ai_disclosure": "AI disclosure",
        "draft_note": "DRAFT: placeholder text and pictures from bookbuild make --draft, "
        "not the finished book.",
    },
    "ko": {
        "contents": "차례",
        "landmarks": "길잡이",
        "cover": "표지",
        "titlepage": "속표지",
        "start": "본문 시작",
        "chapter": "장",
        "colophon": "판권",
        "illustrations": "삽화",
        "provider": "제공자",
        "model": "모델",
        "seed": "시드",
        "edits": "편집",
        "identifier": "식별자",
        "date": "만든 날",
        "back_cover": "뒤표지",
        "ai_disclosure": "AI 사용 고지",
        "draft_note": "초안(DRAFT): bookbuild make --draft로 만든 임시 글과 그림입니다. "
        "완성된 책이 아닙니다.",
    },
}


def render_epub(
    view: BookView, out_dir: Path, slug: str = "book", image_cache: Path | None = None
) -> Path:
    """Write the book as `<out_dir>/<slug>.epub` (EPUB 3) and return its path; its pictures,
    encoded for e-readers, are kept in the `image_cache` folder when given."""
    files = package_files(view, image_cache)
    path = build_path(out_dir, f"{slug}.epub")
    try:
        atomic_write_bytes(path, zip_package(files, view.source_date_epoch))
    except OSError as exc:
        raise RenderError(f"EPUB: cannot write {path}: {exc}") from exc
    return path


def package_files(view: BookView, image_cache: Path | None = None) -> dict[str, bytes]:
    """Every file of the EPUB except `mimetype`, by its path in the zip."""
    view = front_of_wrap(view)  # the cover image is the front
    fixed = fixed_layout(view)
    book = _Book.from_view(view, fixed)
    images = _ImageSet(image_cache)
    cover = _cover_page(book, view.cover, images)  # typeset on a colour without art
    if fixed is not None:
        chapters = fixed_chapter_pages(view, fixed, book.page, images.get)
    else:
        chapters = [
            _chapter_page(book, number, chapter, images)
            for number, chapter in enumerate(view.chapters, start=1)
        ]
    front = [cover]
    body = [*chapters, _colophon_page(book, view)]
    nav = _nav_page(book, [*front, _title_page(book)], body)
    back = [_back_cover_page(book, view)] if view.blurb and view.blurb.strip() else []
    pages = [*front, _title_page(book), nav, *body, *back]
    extra = [_stylesheet(book, view)]
    if fixed is not None:
        extra.append(fixed_stylesheet(fixed, _font_stacks(view)))
    if view.style.css and view.style.css.strip():
        extra.append((Item("css-extra", "extra.css", "text/css"), view.style.css.encode()))
    publishing = publishing_metadata(view, fixed is not None)
    metadata = {**book.metadata(), **publishing, "fixed": fixed is not None}
    if book.draft:  # a draft says so first in its description (stores show it), then the blurb
        metadata["description"] = " ".join(
            part for part in (book.labels["draft_note"], publishing["description"]) if part
        )
    return build_package(metadata, pages, extra, images.items(view.cover))


@dataclass(frozen=True)
class _Book:
    """The book's metadata, XML-safe, and the labels of its language."""

    title: str
    subtitle: str
    authors: tuple[str, ...]
    language: str
    identifier: str
    modified: str  # dcterms:modified, YYYY-MM-DDThh:mm:ssZ
    date: str  # YYYY-MM-DD shown in the colophon, "" when the build date is unknown
    labels: dict[str, str]
    stylesheets: tuple[str, ...]
    viewport: str = ""  # fixed layout: "width=W, height=H" of every page ("" = reflowable)
    draft: bool = False  # built with --draft: the title page, colophon and metadata say so

    @classmethod
    def from_view(cls, view: BookView, fixed: FixedLayout | None = None) -> _Book:
        title = xml_text(view.title).strip()
        if not title:
            raise RenderError("EPUB: the book has no title; set `title` in book.yaml")
        language = view.language.strip()
        if not _LANGUAGE_TAG.fullmatch(language):
            raise RenderError(
                f"EPUB: language {view.language!r} is not a language tag; use one like `ko` or `en`"
            )
        epoch = max(view.source_date_epoch, 0)
        has_extra = bool(view.style.css and view.style.css.strip())
        sheets = (
            "style.css",
            *(("fixed.css",) if fixed else ()),
            *(("extra.css",) if has_extra else ()),
        )
        return cls(
            title=title,
            subtitle=xml_text(view.subtitle or "").strip(),
            authors=tuple(a for a in (xml_text(a).strip() for a in view.authors) if a),
            language=language,
            identifier=xml_text(view.identifier).strip() or _title_urn(title),
            modified=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)),
            date=time.strftime("%Y-%m-%d", time.gmtime(epoch)) if epoch else "",
            labels=_LABELS.get(language.split("-")[0].lower(), _LABELS["en"]),
            stylesheets=sheets,
            viewport=fixed.viewport if fixed else "",
            draft=view.draft,
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": self.authors,
            "language": self.language,
            "identifier": self.identifier,
            "modified": self.modified,
        }

    def page(self, template: str, title: str, **context: Any) -> str:
        """A content document; `viewport=""` makes it reflowable inside a fixed layout."""
        values = {"viewport": self.viewport, **context}
        return render_template(
            template,
            book=self,
            labels=self.labels,
            lang=self.language,
            stylesheets=self.stylesheets,
            page_title=title,
            **values,
        )


def _title_urn(title: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookbuild:title:' + title)}"


class _ImageSet:
    """Each distinct image (by digest) re-encoded once, or taken from the `cache` folder."""

    def __init__(self, cache: Path | None = None) -> None:
        self._cache = cache
        self._by_digest: dict[str, EpubImage] = {}

    def get(self, illustration: IllustrationView) -> EpubImage:
        key = illustration.digest.strip().lower()
        if key not in self._by_digest:
            self._by_digest[key] = epub_image(illustration, self._cache)
        return self._by_digest[key]

    def items(self, cover: IllustrationView | None) -> list[tuple[Item, bytes]]:
        cover_href = self.get(cover).href if cover is not None else None
        images = sorted(self._by_digest.values(), key=lambda image: image.href)
        return [
            (
                Item(
                    image.item_id,
                    image.href,
                    image.media_type,
                    "cover-image" if image.href == cover_href else "",
                ),
                image.data,
            )
            for image in images
        ]


@dataclass(frozen=True)
class _Figure:
    src: str
    alt: str
    caption: str
    width: int
    height: int


@dataclass(frozen=True)
class _Part:
    """One piece of a chapter body: a block of rendered Markdown or a figure."""

    html: Markup | None = None
    figure: _Figure | None = None


def _figure(illustration: IllustrationView, images: _ImageSet) -> _Figure:
    image = images.get(illustration)
    return _Figure(
        src=image.href,
        alt=xml_text(illustration.alt).strip(),
        caption=xml_text(illustration.caption or "").strip(),
        width=image.width,
        height=image.height,
    )


def _chapter_parts(
    book: _Book, chapter: ChapterView, number: int, images: _ImageSet
) -> list[_Part]:
    """The chapter on the HTML book's page model (`context.make_chapter`): the same blocks and
    figures in the same order, each block re-serialized as XHTML."""
    clean = replace(chapter, markdown=xml_text(chapter.markdown))
    page = make_chapter(clean, number, lambda ill: images.get(ill).href, False, book.language)
    in_order = iter(chapter.illustrations)  # the flow keeps the figures in their order
    parts: list[_Part] = []
    for item in page.flow:
        if item.figure is not None:
            parts.append(_Part(figure=_figure(next(in_order), images)))
        else:
            parts.append(_Part(html=Markup(html_to_xhtml(str(item.html)))))
    return parts


def _chapter_page(book: _Book, number: int, chapter: ChapterView, images: _ImageSet) -> Page:
    title = xml_text(chapter.title).strip() or f"{book.labels['chapter']} {number}"
    item_id = f"chapter-{number:03d}"
    xhtml = book.page("chapter.xhtml", title, parts=_chapter_parts(book, chapter, number, images))
    return Page(item_id, f"{item_id}.xhtml", title, xhtml, landmark="", in_toc=True)


def _cover_page(book: _Book, cover: IllustrationView | None, images: _ImageSet) -> Page:
    figure = _figure(cover, images) if cover is not None else None
    alt = (figure.alt if figure is not None else "") or book.title
    xhtml = book.page("cover.xhtml", book.labels["cover"], figure=figure, alt=alt)
    return Page("cover", "cover.xhtml", book.labels["cover"], xhtml, landmark="cover")


def _title_page(book: _Book) -> Page:
    xhtml = book.page("title.xhtml", book.title)
    return Page("titlepage", "title.xhtml", book.labels["titlepage"], xhtml, landmark="titlepage")


@dataclass(frozen=True)
class _Credit:
    """One illustration's line in the colophon."""

    name: str
    provider: str
    model: str
    seed: str
    edits: str


def _credit(illustration: IllustrationView, provenance: Provenance, fallback: str) -> _Credit:
    name = illustration.caption or fallback or illustration.alt or illustration.id
    return _Credit(
        name=xml_text(name).strip(),
        provider=xml_text(provenance.provider),
        model=xml_text(provenance.model),
        seed="" if provenance.seed is None else str(provenance.seed),
        edits=xml_text("; ".join(provenance.edits)),
    )


def _colophon_page(book: _Book, view: BookView) -> Page:
    illustrations = [view.cover] if view.cover is not None else []
    illustrations += [i for chapter in view.chapters for i in chapter.illustrations]
    distinct = {i.digest: i for i in reversed(illustrations)}  # each image once, first use wins
    ordered = sorted(distinct.values(), key=illustrations.index)
    cover_label = book.labels["cover"]
    credits = [
        _credit(i, i.provenance, cover_label if i is view.cover else "")
        for i in ordered
        if i.provenance is not None
    ]
    title = book.labels["colophon"]
    disclosure = [xml_text(line) for line in ai_disclosure(view)]
    xhtml = book.page("colophon.xhtml", title, credits=credits, disclosure=disclosure, viewport="")
    return Page(
        "colophon", "colophon.xhtml", title, xhtml, landmark="colophon", in_toc=True,
        spine_properties=REFLOWABLE if book.viewport else "",
    )  # fmt: skip


def _back_cover_page(book: _Book, view: BookView) -> Page:
    """The blurb (reflowable inside a fixed layout)."""
    blurb = [xml_text(p) for p in blurb_paragraphs(view)]
    title = book.labels["back_cover"]
    xhtml = book.page("backcover.xhtml", title, blurb=blurb, viewport="")
    return Page(
        "back-cover", "backcover.xhtml", title, xhtml,
        spine_properties=REFLOWABLE if book.viewport else "",
    )  # fmt: skip


def _nav_page(book: _Book, front: list[Page], body: list[Page]) -> Page:
    """The navigation document: every chapter (and the colophon), plus the landmarks."""
    toc = [page for page in body if page.in_toc]
    landmarks = [(page.landmark, page.href, page.title) for page in front if page.landmark]
    landmarks.append(("toc", "nav.xhtml", book.labels["contents"]))
    if body[0].landmark == "":
        landmarks.append(("bodymatter", body[0].href, book.labels["start"]))
    landmarks.append(("colophon", body[-1].href, body[-1].title))
    title = book.labels["contents"]
    xhtml = book.page("nav.xhtml", title, toc=toc, landmarks=landmarks, viewport="")
    return Page(
        "nav", "nav.xhtml", title, xhtml, landmark="toc", properties="nav",
        spine_properties=REFLOWABLE if book.viewport else "",
    )  # fmt: skip


def _font_stacks(view: BookView) -> dict[str, Any]:
    font = _css_string(view.style.font) if view.style.font else ""
    return {"serif": f"{font}, {_SERIF_STACK}" if font else _SERIF_STACK, "sans": _SANS_STACK}


def _stylesheet(book: _Book, view: BookView) -> tuple[Item, bytes]:
    css = render_template("style.css", **_font_stacks(view))
    return Item("css", "style.css", "text/css"), css.encode("utf-8")


def _css_string(text: str) -> str:
    """A font family name from the spec as a quoted CSS string (quotes, backslashes and control
    characters dropped: no font is named with them, and some CSS parsers trip on the escapes)."""
    cleaned = re.sub(r'[\x00-\x1f\x7f"\\]', "", text).strip()
    return f'"{cleaned}"' if cleaned else ""
