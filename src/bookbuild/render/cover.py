"""The cover document (`<slug>-cover.pdf`): the HTML of the front cover, spine and back cover.
On a print target it is one wrap sized from the page count and paper; otherwise the front on
page 1 and the back on page 2, at the trimmed page size (plus `style.bleed`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateError
from markupsafe import Markup

from bookbuild.style import resolve_theme

from ..errors import RenderError
from .context import ImageSource, build_date, lang_tag, make_figure, needs_keep_all
from .cover_colors import cover_colors
from .fonts import font_stack
from .frontmatter import blurb_paragraphs
from .labels import labels
from .pages import Layout
from .printing import CoverWrap
from .theme import theme_environment
from .view import BookView

COVER_TEMPLATE = "cover.html.j2"


@dataclass(frozen=True)
class CoverGeometry:
    """Lengths (points) the cover stylesheet uses."""

    width: float  # one panel (the trimmed page)
    height: float
    bleed: float
    spine: float
    front_left: float
    page_width: float  # the trimmed sheet
    safe: float  # distance of text from the trim
    barcode: tuple[float, float, float, float]
    title_pt: float
    spine_pt: float


def cover_geometry(layout: Layout, wrap: CoverWrap | None) -> CoverGeometry:
    page = layout.page
    safe = max(0.375 * 72, 0.06 * page.width)
    if wrap is None:
        return CoverGeometry(
            page.width, page.height, layout.bleed, 0.0, 0.0, page.width, safe,
            (0.0, 0.0, 0.0, 0.0), min(34.0, page.width / 12), 0.0,
        )  # fmt: skip
    spine_pt = max(5.0, min(14.0, wrap.spine - 2 * wrap.spine_text_margin))
    return CoverGeometry(
        page.width, page.height, wrap.bleed, wrap.spine, wrap.front_left, wrap.width, safe,
        wrap.barcode, min(34.0, page.width / 12), spine_pt,
    )  # fmt: skip


def cover_html(
    view: BookView,
    layout: Layout,
    wrap: CoverWrap | None,
    src: ImageSource,
    theme_dirs: Sequence[Path] = (),
) -> str:
    """The cover as one HTML document for the PDF renderer."""
    keep = needs_keep_all(view.language, "print")
    env = theme_environment(view.style.theme, tuple(Path(d) for d in theme_dirs), keep)
    context = {
        "book": view,
        "lang": lang_tag(view.language),
        "labels": labels(view.language),
        "cover": make_figure(view.cover, src) if view.cover else None,
        "blurb": blurb_paragraphs(view),
        "fonts": font_stack(view.language, view.style.font),
        "geometry": cover_geometry(layout, wrap),
        "colors": cover_colors(view, _front_aspect(layout, wrap)),
        "wrap_art": view.cover is not None and view.style.cover_shape == "wrap",
        "wrap": wrap,
        "medium": "print",
        "theme": resolve_theme(view.style.theme),
        "date": build_date(view.source_date_epoch),
        "extra_css": Markup(""),
    }
    try:
        return env.get_template(COVER_TEMPLATE).render(context)
    except TemplateError as exc:
        raise RenderError(f"theme {view.style.theme!r} ({COVER_TEMPLATE}): {exc}") from exc


def _front_aspect(layout: Layout, wrap: CoverWrap | None) -> float:
    """Width / height of the front as printed: trim + bleed on the outside edge, top and
    bottom on a wrap; the page + bleed all round otherwise."""
    page, bleed = layout.page, wrap.bleed if wrap is not None else layout.bleed
    width = page.width + (bleed if wrap is not None else 2 * bleed)
    return width / (page.height + 2 * bleed)
