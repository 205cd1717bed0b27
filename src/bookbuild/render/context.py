"""The data a theme's templates see (documented in templates/README.md).

Everything here is plain data: text stays text (the templates escape it), and the only
markup is chapter HTML made by `markdown.render_blocks`, which escapes raw HTML.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from bookbuild.style import fmt_pt

from .images import edge_color
from .lazy import LazyField, later
from .markdown import is_notes, render_blocks
from .pages import Layout
from .view import BookView, ChapterView, IllustrationView, Provenance

ImageSource = Callable[[IllustrationView], str]
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")
_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


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
    illustration: IllustrationView | None = field(default=None, repr=False, compare=False)

    @property
    def image(self) -> bytes:
        """The picture's bytes (read when first needed)."""
        return self.illustration.image if self.illustration else b""

    @property
    def landscape(self) -> bool:
        return self.width >= self.height

    @property
    def aspect(self) -> float:
        """Width over height of the original image."""
        return self.width / self.height if self.width > 0 and self.height > 0 else 1.0

    @cached_property
    def background(self) -> str:
        """'#rrggbb': the mean colour of the image's border, to fill around a contained image."""
        return edge_color(self.image) if self.image else "#ffffff"


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
    if TYPE_CHECKING:
        blocks: tuple[Markup, ...]
    else:  # its Markdown is parsed when first read (lazy.py)
        blocks: LazyField = LazyField()
    figures: tuple[Figure, ...]
    if TYPE_CHECKING:
        flow: tuple[FlowItem, ...]
    else:
        flow: LazyField = LazyField()

    @property
    def body(self) -> Markup:
        return Markup("").join(self.blocks)

    @property
    def page(self) -> str:
        """The chapter's own page of the HTML site (its anchor is made of safe characters)."""
        return f"{self.anchor}.html"

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
        illustration=ill,
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
    chapter: ChapterView,
    number: int,
    src: ImageSource,
    keep_all: bool = False,
    language: str = "en",
) -> Chapter:
    """The page model of a chapter, shared by HTML, PDF and EPUB: its blocks with the figures
    spread between them, and its footnotes after everything (made when first read)."""
    figures = tuple(
        make_figure(ill, src, chapter.id, chapter.title) for ill in chapter.illustrations
    )
    text = _ChapterText(chapter.markdown, keep_all, language, html_id("n", chapter.id), figures)
    return Chapter(
        id=chapter.id,
        anchor=html_id("ch", chapter.id),
        number=number,
        title=chapter.title,
        blocks=later(text.blocks),
        figures=figures,
        flow=later(text.flow),
    )


@dataclass(frozen=True)
class _ChapterText:
    """A chapter's text as blocks and as a flow with its figures, parsed once when needed."""

    markdown: str
    keep_all: bool
    language: str
    doc_id: str
    figures: tuple[Figure, ...]

    @cached_property
    def parts(self) -> tuple[tuple[Markup, ...], tuple[FlowItem, ...]]:
        blocks = chapter_blocks(self.markdown, self.keep_all, self.language, self.doc_id)
        notes = [block for block in blocks if is_notes(block)]
        text = [block for block in blocks if not is_notes(block)]
        flow = interleave(text, list(self.figures))
        return blocks, flow + tuple(FlowItem("text", html=note) for note in notes)

    def blocks(self) -> tuple[Markup, ...]:
        return self.parts[0]

    def flow(self) -> tuple[FlowItem, ...]:
        return self.parts[1]


@lru_cache(maxsize=512)
def chapter_blocks(text: str, keep_all: bool, language: str, doc_id: str) -> tuple[Markup, ...]:
    """A chapter's blocks, kept for the process: a long-running studio renders each chapter's
    Markdown once, until its text changes."""
    return tuple(render_blocks(text, keep_all, language, doc_id))


def make_chapters(view: BookView, src: ImageSource, keep_all: bool = False) -> tuple[Chapter, ...]:
    return tuple(
        make_chapter(ch, n, src, keep_all, view.language)
        for n, ch in enumerate(view.chapters, start=1)
    )


def needs_keep_all(language: str, medium: str) -> bool:
    """Korean breaks lines between words; WeasyPrint lacks `word-break: keep-all`."""
    return medium == "print" and language.lower().split("-")[0] == "ko"


# Picture-book pages. A picture is never cropped by more than a sliver: its box has the image's
# own aspect ratio, or the image is contained (letterboxed) in it.
SLIVER = 0.04  # at most this fraction of a full-page picture's width or height may be cut off
MIN_PICTURE = 0.5  # a scene's picture keeps at least this fraction of the page height


@dataclass(frozen=True)
class SceneMetrics:
    """Type sizes of the picture-book's scene text, shared by its CSS and the estimate of how
    much room the text needs below the picture."""

    font_pt: float = 13.0
    line_height: float = 1.55
    gap_em: float = 0.5  # below each paragraph
    padding_pt: float = 14.0  # above the text
    title_em: float = 1.25
    caption_pt: float = 9.0
    caption_line: float = 1.35
    caption_gap_pt: float = 5.0  # above the caption


SCENE = SceneMetrics()


@dataclass(frozen=True)
class ImageBox:
    """Where a picture goes on its page, in points: the box of the <img> (its content box;
    `pad` is added on every side), its margins, and how the image fits in it."""

    width: float
    height: float
    top: float  # margin-top (negative: bleeds off the top edge)
    side: float  # margin-left (negative: bleeds off the left edge)
    fit: str  # "fill" (the box has the image's aspect), "cover" (cuts at most a sliver) or
    # "contain" (the whole image, the rest of the box shows `background`)
    pad: float = 0.0
    background: str = ""

    @property
    def bleeds(self) -> bool:
        return self.side < 0

    @property
    def style(self) -> str:
        """The inline CSS for the <img>."""
        parts = [
            f"width: {fmt_pt(self.width)}",
            f"height: {fmt_pt(self.height)}",
            f"margin: {fmt_pt(self.top)} 0 0 {fmt_pt(self.side)}",
            f"object-fit: {self.fit}",
        ]
        if self.pad:
            parts.append(f"padding: {fmt_pt(self.pad)}")
        if self.background:
            parts.append(f"background-color: {self.background}")
        return "; ".join(parts)


def page_image_box(layout: Layout, figure: Figure) -> ImageBox:
    """A picture filling a whole page and its bleed: cropped by at most SLIVER when its aspect
    is close to the page's, otherwise contained in the trimmed page on its border colour."""
    page, bleed = layout.page, layout.bleed
    width, height = page.width + 2 * bleed, page.height + 2 * bleed
    ratio = figure.aspect / (width / height)
    if 1 - min(ratio, 1 / ratio) <= SLIVER:
        return ImageBox(width, height, -bleed, -bleed, "cover")
    return ImageBox(
        page.width, page.height, -bleed, -bleed, "contain", pad=bleed, background=figure.background
    )


def scene_image_box(
    layout: Layout,
    figure: Figure,
    blocks: Iterable[str] = (),
    title: str = "",
    metrics: SceneMetrics = SCENE,
) -> ImageBox:
    """A scene's picture above its text (`blocks`, plus the chapter `title` on the opening
    scene): across the whole page width and bleeding off the top when that leaves room for the
    text; otherwise scaled down, whole, and centred below a small top margin. Scene pages have
    the book's top margin (text running on to a next page starts there), so `top` is negative:
    it pulls the picture up to the page's edge (or its bleed)."""
    page, bleed = layout.page, layout.bleed
    limit = max(_height_left(layout, figure, blocks, title, metrics), MIN_PICTURE * page.height)
    full_width = page.width + 2 * bleed
    full_height = full_width / figure.aspect
    if full_height - bleed <= limit:
        return ImageBox(full_width, full_height, -(layout.top + bleed), -bleed, "fill")
    gap = min(layout.top, 0.05 * page.height)
    height = limit - gap
    width = min(height * figure.aspect, page.width)
    height = width / figure.aspect
    return ImageBox(width, height, gap - layout.top, (page.width - width) / 2, "fill")


SPREAD_ASPECT = 1.8  # a picture this many times wider than the page's aspect spans two pages
OVER_SHARE = 0.4  # text over a picture takes at most this share of the page's height


def is_spread(layout: Layout, figure: Figure) -> bool:
    """A panorama: drawn across two facing pages."""
    return figure.aspect >= SPREAD_ASPECT * layout.page.width / layout.page.height


def text_spills(
    layout: Layout,
    figure: Figure,
    blocks: Iterable[str] = (),
    title: str = "",
    metrics: SceneMetrics = SCENE,
) -> bool:
    """Below its picture kept at MIN_PICTURE of the page, the scene's text still runs on to
    the next page: shrinking the picture saves no page, so it gets a whole page instead."""
    left = _height_left(layout, figure, blocks, title, metrics)
    return left < MIN_PICTURE * layout.page.height


def _height_left(
    layout: Layout, figure: Figure, blocks: Iterable[str], title: str, metrics: SceneMetrics
) -> float:
    """The page's height above its bottom margin less the scene's text (with its caption)."""
    text_width = layout.page.width - (layout.outer + layout.inner)
    room = scene_text_height(list(blocks), title, figure.caption or "", text_width, metrics)
    return layout.page.height - layout.bottom - room


def text_fits_over(
    layout: Layout, blocks: Iterable[str], title: str = "", metrics: SceneMetrics = SCENE
) -> bool:
    """The scene's text fits a panel over the lower part of its picture."""
    width = layout.page.width - (layout.outer + layout.inner) - 2 * metrics.padding_pt
    height = scene_text_height(list(blocks), title, "", width, metrics)
    return height <= OVER_SHARE * layout.page.height


def scene_text_height(
    blocks: list[str], title: str, caption: str, width: float, metrics: SceneMetrics = SCENE
) -> float:
    """An estimate of the height (points) of a scene's caption, title and text set `width`
    points wide: wide (CJK) characters are 1em, spaces 0.3em, others about 0.52em."""
    font, line = metrics.font_pt, metrics.font_pt * metrics.line_height
    height = 0.0
    if caption:
        lines = estimate_lines(caption, width / metrics.caption_pt)
        height += metrics.caption_gap_pt + lines * metrics.caption_pt * metrics.caption_line
    texts = [Markup(block).striptags() for block in blocks]
    if title:
        title_pt = font * metrics.title_em
        height += estimate_lines(title, width / title_pt) * title_pt * 1.25 + font * 0.5
    if texts or title:
        height += metrics.padding_pt + line  # a line of slack: the estimate is rough
    for text in texts:
        height += estimate_lines(text, width / font) * line + metrics.gap_em * font
    return height


def estimate_lines(text: str, em_per_line: float) -> int:
    """How many lines `text` takes when a line holds `em_per_line` ems (rounded up, with a
    little slack for line breaks that leave a line short)."""
    ems = 0.0
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf"):
            continue
        if unicodedata.east_asian_width(char) in ("W", "F"):
            ems += 1.0
        else:
            ems += 0.3 if char.isspace() else 0.52
    return max(1, math.ceil(ems * 1.04 / max(em_per_line, 1.0))) if ems else 0
