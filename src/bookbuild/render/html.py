"""HTML rendering: the book as one page, index.html plus assets/ named by image digest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from markupsafe import Markup, escape

from ..errors import RenderError
from ..fsutil import atomic_write_bytes, atomic_write_text
from .assets import THEME_ASSETS, asset_name, theme_static_files
from .context import (
    SCENE,
    Figure,
    ImageBox,
    ImageSource,
    build_date,
    labels,
    lang_tag,
    make_chapters,
    make_figure,
    needs_keep_all,
    page_image_box,
    scene_image_box,
)
from .fetch import build_path
from .fonts import font_stack
from .frontmatter import ai_disclosure, blurb_paragraphs
from .markdown import keep_words
from .pages import Layout, page_layout, parse_page
from .theme import make_environment, resolve_theme, theme_settings
from .view import BookView, IllustrationView

__all__ = ["asset_name", "document_html", "layout_for", "render_html"]

ASSETS = "assets"
ENTRY_TEMPLATE = "book.html.j2"


def layout_for(view: BookView) -> Layout:
    """Page size (style.page, or the theme's default for 'auto'), margins and bleed."""
    settings = theme_settings(view.style.theme)
    page = parse_page(view.style.page, default=settings.default_page)
    style = view.style
    return page_layout(page, style.margin, style.bleed, settings.margin_scale)


def template_context(view: BookView, medium: str, src: ImageSource) -> dict[str, Any]:
    """Every variable a theme template sees (documented in templates/README.md)."""
    chapters = make_chapters(view, src, needs_keep_all(view.language, medium))
    layout = layout_for(view)

    def page_image(figure: Figure) -> ImageBox:
        return page_image_box(layout, figure)

    def scene_image(figure: Figure, blocks: Sequence[str] = (), title: str = "") -> ImageBox:
        return scene_image_box(layout, figure, blocks, title)

    return {
        "book": view,
        "lang": lang_tag(view.language),
        "labels": labels(view.language),
        "chapters": chapters,
        "figures": [fig for ch in chapters for fig in ch.figures],
        "cover": make_figure(view.cover, src) if view.cover else None,
        "fonts": font_stack(view.language, view.style.font),
        "layout": layout,
        "page_image": page_image,
        "scene_image": scene_image,
        "scene_metrics": SCENE,
        "medium": medium,
        "theme": resolve_theme(view.style.theme),
        "date": build_date(view.source_date_epoch),
        "disclosure": ai_disclosure(view),
        "blurb": blurb_paragraphs(view),
        "extra_css": Markup((view.style.css or "").replace("</", "<\\/")),
    }


def document_html(
    view: BookView, src: ImageSource, theme_dirs: Sequence[Path] = (), medium: str = "screen"
) -> str:
    """The book as one HTML document; `src` gives each illustration's URL."""
    env = make_environment(view.style.theme, theme_dirs)
    env.filters["keep"] = keep_words if needs_keep_all(view.language, medium) else escape
    try:
        template = env.get_template(ENTRY_TEMPLATE)
        return template.render(template_context(view, medium, src))
    except TemplateError as exc:
        name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
        where = f" ({name}:{line})" if name else ""
        raise RenderError(f"theme {view.style.theme!r}{where}: {exc}") from exc


def render_html(view: BookView, out_dir: Path, theme_dirs: Sequence[Path] = ()) -> Path:
    """Write out_dir/index.html and out_dir/assets/<hex16>.png; return the index path."""
    images = _all_illustrations(view)
    for ill in images:
        _write_if_changed(build_path(out_dir, ASSETS, asset_name(ill, "png")), ill.image)
    for name, data in theme_static_files(theme_dirs).items():
        _write_if_changed(build_path(out_dir, ASSETS, THEME_ASSETS, name), data)
    html = document_html(view, lambda ill: f"{ASSETS}/{asset_name(ill, 'png')}", theme_dirs)
    index = build_path(out_dir, "index.html")
    atomic_write_text(index, html)
    return index


def _write_if_changed(target: Path, data: bytes) -> None:
    if not (target.is_file() and target.read_bytes() == data):
        atomic_write_bytes(target, data)


def _all_illustrations(view: BookView) -> list[IllustrationView]:
    found = [view.cover] if view.cover else []
    found += [ill for ch in view.chapters for ill in ch.illustrations]
    return list({asset_name(ill, "png"): ill for ill in found}.values())
