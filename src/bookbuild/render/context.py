"""The data a theme's templates see (documented in templates/README.md).

Everything here is plain data: text stays text (the templates escape it), and the only
markup is chapter HTML made by `markdown.render_blocks`, which escapes raw HTML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from markupsafe import Markup

from .markdown import render_blocks
from .view import BookView, ChapterView, IllustrationView, Provenance

ImageSource = Callable[[IllustrationView], str]
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "colophon": "Colophon",
        "illustrations": "Illustrations",
        "chapter": "Chapter",
        "cover": "Cover",
        "by": "by",
        "seed": "seed",
        "edits": "edits",
        "model": "model",
        "provider": "provider",
        "made_with": "Made with bookbuild",
    },
    "ko": {
        "contents": "차례",
        "colophon": "판권",
        "illustrations": "삽화 정보",
        "chapter": "장",
        "cover": "표지",
        "by": "지은이",
        "seed": "시드",
        "edits": "편집",
        "model": "모델",
        "provider": "제공자",
        "made_with": "bookbuild로 만듦",
    },
}


@dataclass(frozen=True)
class Figure:
    """One illustration as placed in the book."""

    id: str
    anchor: str  # HTML id of the <figure>
    src: str  # URL relative to the document
    width: int
    height: int
    caption: str | None
    alt: str
    provenance: Provenance | None
    chapter_title: str

    @property
    def landscape(self) -> bool:
        return self.width >= self.height


@dataclass(frozen=True)
class FlowItem:
    """A chapter is text blocks with figures between them: kind is 'text' or 'figure'."""

    kind: str
    html: Markup = field(default_factory=Markup)
    figure: Figure | None = None


@dataclass(frozen=True)
class Scene:
    """A figure with the text that follows it (picture books lay out one scene per page);
    the first scene of a chapter has no figure when the text comes before any figure."""

    figure: Figure | None
    blocks: tuple[Markup, ...]

    @property
    def body(self) -> Markup:
        return Markup("").join(self.blocks)


@dataclass(frozen=True)
class Chapter:
    id: str
    anchor: str
    number: int
    title: str
    blocks: tuple[Markup, ...]
    figures: tuple[Figure, ...]
    flow: tuple[FlowItem, ...]

    @property
    def body(self) -> Markup:
        return Markup("").join(self.blocks)

    @property
    def scenes(self) -> tuple[Scene, ...]:
        return scenes(self.flow)


def scenes(flow: tuple[FlowItem, ...]) -> tuple[Scene, ...]:
    """Cut a chapter's flow before each figure."""
    found: list[Scene] = []
    figure: Figure | None = None
    blocks: list[Markup] = []
    for item in flow:
        if item.kind == "figure":
            if figure is not None or blocks:
                found.append(Scene(figure, tuple(blocks)))
            figure, blocks = item.figure, []
        else:
            blocks.append(item.html)
    if figure is not None or blocks or not found:
        found.append(Scene(figure, tuple(blocks)))
    return tuple(found)


def html_id(prefix: str, value: str) -> str:
    """An HTML id made of safe characters only."""
    return f"{prefix}-{_UNSAFE_ID.sub('-', value).strip('-') or 'x'}"


def lang_tag(language: str) -> str:
    return language if _LANG.match(language) else "und"


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language.split("-")[0].lower(), LABELS["en"])


def build_date(epoch: int) -> str:
    """The W3C date-time of the build (the fixed SOURCE_DATE_EPOCH of the view)."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_figure(
    ill: IllustrationView, src: ImageSource, chapter_id: str = "", chapter_title: str = ""
) -> Figure:
    return Figure(
        id=ill.id,
        anchor=html_id("fig", f"{chapter_id}-{ill.id}" if chapter_id else ill.id),
        src=src(ill),
        width=ill.width,
        height=ill.height,
        caption=ill.caption,
        alt=ill.alt,
        provenance=ill.provenance,
        chapter_title=chapter_title,
    )


def interleave(blocks: list[Markup], figures: list[Figure]) -> tuple[FlowItem, ...]:
    """Spread figures evenly through the text: the first at the chapter opening, the others
    before every n-th block; figures beyond the text come at the end."""
    items: list[FlowItem] = []
    positions = [math.ceil(i * len(blocks) / len(figures)) for i in range(len(figures))]
    queue = list(zip(positions, figures, strict=True))
    for index, block in enumerate(blocks):
        while queue and queue[0][0] <= index:
            items.append(FlowItem("figure", figure=queue.pop(0)[1]))
        items.append(FlowItem("text", html=block))
    items.extend(FlowItem("figure", figure=fig) for _, fig in queue)
    return tuple(items)


def make_chapter(
    chapter: ChapterView, number: int, src: ImageSource, keep_all: bool = False
) -> Chapter:
    blocks = render_blocks(chapter.markdown, keep_all)
    figures = [make_figure(ill, src, chapter.id, chapter.title) for ill in chapter.illustrations]
    return Chapter(
        id=chapter.id,
        anchor=html_id("ch", chapter.id),
        number=number,
        title=chapter.title,
        blocks=tuple(blocks),
        figures=tuple(figures),
        flow=interleave(blocks, figures),
    )


def make_chapters(view: BookView, src: ImageSource, keep_all: bool = False) -> tuple[Chapter, ...]:
    return tuple(make_chapter(ch, n, src, keep_all) for n, ch in enumerate(view.chapters, start=1))


def needs_keep_all(language: str, medium: str) -> bool:
    """Korean breaks lines between words; WeasyPrint lacks `word-break: keep-all`."""
    return medium == "print" and language.lower().split("-")[0] == "ko"
