"""Fixed-layout EPUB pages for the picture-book theme: one pre-paginated page per scene of the
HTML book's page model (the picture across the whole page, its text over it on a pale panel),
at the page's aspect ratio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from bookbuild.render.context import estimate_lines, make_chapter
from bookbuild.render.epub_content import EpubImage, xml_text
from bookbuild.render.epub_package import Item, Page, render_template
from bookbuild.render.epub_xhtml import html_to_xhtml
from bookbuild.render.images import edge_color
from bookbuild.render.view import BookView, IllustrationView
from bookbuild.style import parse_page, theme_settings

VIEWPORT_WIDTH = 1200  # CSS px of a fixed page's width; the height follows the page's aspect
REFLOWABLE = "rendition:layout-reflowable"  # text pages (contents, colophon) inside the layout

RenderPage = Callable[..., str]  # (template, title, **context) -> XHTML
ImageOf = Callable[[IllustrationView], EpubImage]


@dataclass(frozen=True)
class FixedLayout:
    width: int
    height: int

    @property
    def viewport(self) -> str:
        return f"width={self.width}, height={self.height}"


def fixed_layout(view: BookView) -> FixedLayout | None:
    """The fixed layout of a theme whose pictures fill the page (picture-book), else None."""
    settings = theme_settings(view.style.theme)
    if not settings.full_page_images:
        return None
    page = parse_page(view.style.page, default=settings.default_page)
    return FixedLayout(VIEWPORT_WIDTH, round(VIEWPORT_WIDTH * page.height / page.width))


FONT_PX = 30  # the panel's type size (fixed.css)
LINE = 1.5
PANEL_SHARE = 0.4  # text over a picture takes at most this share of the page's height
TEXT_SHARE = 0.75  # a text-only page


def _text_pages(blocks: list[str], layout: FixedLayout, share: float) -> list[list[str]]:
    """The blocks cut into pages of at most `share` of the page's height (a block is never
    cut; a block longer than a page gets a page of its own)."""
    em_per_line = layout.width * 0.76 / FONT_PX
    room = layout.height * share
    pages: list[list[str]] = [[]]
    used = 0.0
    for block in blocks:
        height = (estimate_lines(Markup(block).striptags(), em_per_line) + 0.5) * FONT_PX * LINE
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(block)
        used += height
    return pages


@dataclass(frozen=True)
class _Scene:
    src: str
    alt: str
    caption: str
    title: str  # the chapter title on its first scene
    text: Markup
    background: str = ""  # '#rrggbb' around a letterboxed picture (its edge colour)


def fixed_chapter_pages(
    view: BookView, layout: FixedLayout, render: RenderPage, image_of: ImageOf
) -> list[Page]:
    """Every chapter as fixed pages, scene by scene: the picture with its text over it when
    the text is short, else the picture alone and the text on the pages after it. The first
    page of each chapter is in the contents."""
    pages: list[Page] = []
    for number, chapter in enumerate(view.chapters, start=1):
        clean = replace(chapter, markdown=xml_text(chapter.markdown))
        model = make_chapter(clean, number, lambda i: image_of(i).href, False, view.language)
        in_order = iter(chapter.illustrations)
        title = xml_text(chapter.title).strip() or str(number)
        scenes: list[_Scene] = []
        for scene in model.scenes:
            ill = next(in_order) if scene.figure is not None else None
            scenes += _scene_pages(ill, [str(b) for b in scene.blocks], layout, image_of)
        scenes[0] = replace(scenes[0], title=title)
        for index, item in enumerate(scenes):
            item_id = f"chapter-{number:03d}-{index + 1:02d}"
            xhtml = render("fixed-scene.xhtml", title, scene=item)
            pages.append(Page(item_id, f"{item_id}.xhtml", title, xhtml, in_toc=index == 0))
    return pages


def _scene_pages(
    ill: IllustrationView | None, blocks: list[str], layout: FixedLayout, image_of: ImageOf
) -> list[_Scene]:
    over = _text_pages(blocks, layout, PANEL_SHARE)
    picture = _Scene(
        src=image_of(ill).href if ill else "",
        alt=xml_text(ill.alt).strip() if ill else "",
        caption=xml_text(ill.caption or "").strip() if ill else "",
        title="",
        text=Markup(""),
        background=edge_color(ill.image) if ill else "",
    )
    if ill is not None and len(over) == 1:
        return [replace(picture, text=_xhtml(over[0]))]
    pages = [picture] if ill is not None else []
    for chunk in _text_pages(blocks, layout, TEXT_SHARE):
        pages.append(_Scene("", "", "", "", _xhtml(chunk)))
    return pages or [picture]


def _xhtml(blocks: list[str]) -> Markup:
    return Markup("").join(Markup(html_to_xhtml(block)) for block in blocks)


def fixed_stylesheet(layout: FixedLayout, fonts: dict[str, Any]) -> tuple[Item, bytes]:
    css = render_template("fixed.css", width=layout.width, height=layout.height, **fonts)
    return Item("css-fixed", "fixed.css", "text/css"), css.encode("utf-8")
