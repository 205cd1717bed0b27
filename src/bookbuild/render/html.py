"""HTML rendering: the book as one page, index.html plus assets/ named by image digest."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError
from markupsafe import Markup

from bookbuild.style import parse_page, resolve_theme

from ..errors import RenderError
from ..fsutil import replace_file
from ..style import theme_settings
from .assets import THEME_ASSETS, asset_name, theme_static_files
from .contents import CONTENTS_SCRIPT, contents_script
from .context import (
    SCENE,
    Chapter,
    Figure,
    ImageBox,
    ImageSource,
    build_date,
    is_spread,
    lang_tag,
    make_chapters,
    make_figure,
    needs_keep_all,
    page_image_box,
    scene_image_box,
    text_fits_over,
    text_spills,
)
from .fetch import build_path
from .fonts import font_stack
from .frontmatter import ai_disclosure, blurb_paragraphs
from .geometry import RUNNING, running_title
from .labels import labels
from .matter import SCENE_BREAKS, chapter_label, matter
from .pages import Layout, page_layout
from .sections import SECTION_TEMPLATE, SectionCache
from .site import (
    PageRecord,
    navigation_only,
    navigation_view,
    page_key,
    site_key,
    templates_digest,
    view_for_page,
)
from .theme import theme_environment
from .usage import EVERYTHING, TemplateUse, template_use
from .view import BookView, ChapterView, IllustrationView
from .wrapart import front_of_wrap

__all__ = ["asset_name", "document_html", "layout_for", "render_html"]

ASSETS = "assets"
ENTRY_TEMPLATE = "book.html.j2"
CHAPTER_TEMPLATE = "chapter.html.j2"  # a chapter's own page of the HTML site


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

    def text_over(blocks: Sequence[str], title: str = "") -> bool:
        return view.style.text_over and text_fits_over(layout, blocks, title)

    def spread(figure: Figure) -> bool:
        return is_spread(layout, figure)

    def spills(figure: Figure, blocks: Sequence[str] = (), title: str = "") -> bool:
        return text_spills(layout, figure, blocks, title)

    short = {ch.id: ch.short_title or running_title(ch.title) for ch in view.chapters}

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
        "text_over": text_over,
        "spread": spread,
        "text_spills": spills,
        "scene_metrics": SCENE,
        "running": RUNNING,
        "running_title": lambda chapter_id: short.get(chapter_id, ""),
        "chapter_label": lambda n: chapter_label(n, view.style.chapter_number, view.language),
        "scene_break": SCENE_BREAKS.get(view.style.scene_break, "⁂"),
        "opening_style": view.style.opening,
        "medium": medium,
        "theme": resolve_theme(view.style.theme),
        "date": build_date(view.source_date_epoch),
        "disclosure": ai_disclosure(view),
        "matter": matter(view, build_date(view.source_date_epoch)[:4]),
        "blurb": blurb_paragraphs(view),
        "extra_css": Markup((view.style.css or "").replace("</", "<\\/")),
    }


def document_html(
    view: BookView,
    src: ImageSource,
    theme_dirs: Sequence[Path] = (),
    medium: str = "screen",
    downloads: Sequence[tuple[str, str]] = (),
) -> str:
    """The book as one HTML document; `src` gives each illustration's URL, `downloads` the
    (label, file) links of the site's navigation."""
    pages = _Pages(view, src, theme_dirs, medium, downloads)
    return pages.render(ENTRY_TEMPLATE)


_SEEN: dict[int, str] = {}  # id of a kept environment -> the digest of its templates
_USES: dict[tuple[str, str], TemplateUse | None] = {}  # (templates digest, name) -> its use


def _forget_replaced_templates(env: Environment, templates: str) -> None:
    """Jinja reloads a template whose file changed, but not one that a new file in a theme
    folder now overrides: when any template file changed, the kept environment starts over."""
    if _SEEN.get(id(env)) != templates:
        if env.cache is not None:
            env.cache.clear()
        _SEEN[id(env)] = templates


class _Sections:
    """`chapter_section(chapter)` for book.html.j2: a chapter's section, from the cache when
    it shows nothing new (sections.py; HTML site only), else rendered."""

    def __init__(self, pages: _Pages, cache: SectionCache | None) -> None:
        self.pages = pages
        self.cache = cache

    def __call__(self, chapter: Chapter) -> Markup:
        number = chapter.number - 1
        chapters = self.pages.chapters
        own = 0 <= number < len(chapters) and chapters[number] is chapter
        key = self.cache.key(self.pages.view.chapters, number) if self.cache and own else None
        found = self.cache.get(key) if self.cache and key else None
        if found is None:
            found = self.pages.render(SECTION_TEMPLATE, chapter=chapter)
            if self.cache and key:
                self.cache.put(key, found)
        return Markup(found)


class _Pages:
    """Renders pages of one book from one template context (every chapter made once) and one
    cached Jinja environment (every template compiled once per process)."""

    def __init__(
        self,
        view: BookView,
        src: ImageSource,
        theme_dirs: Sequence[Path],
        medium: str,
        downloads: Sequence[tuple[str, str]],
    ) -> None:
        self.theme = view.style.theme
        self.view = view
        self.theme_dirs = tuple(Path(d) for d in theme_dirs)
        self._templates: str | None = None
        keep_all = needs_keep_all(view.language, medium)
        self.env = theme_environment(self.theme, self.theme_dirs, keep_all)
        _forget_replaced_templates(self.env, self.templates(self.theme_dirs))
        self.context = {
            "downloads": list(downloads),
            "page_chapter": None,
            **template_context(view, medium, src),
        }
        self.context["chapter_section"] = _Sections(self, None)

    def templates(self, theme_dirs: Sequence[Path]) -> str:
        """The digest of every file the pages' templates can come from (once per site)."""
        if self._templates is None:
            self._templates = templates_digest(self.theme, theme_dirs)
        return self._templates

    def use(self, record: PageRecord, name: str) -> TemplateUse | None:
        """What template `name` uses of the context (kept in the page record, and for the
        process: a template file that changes changes the digest)."""
        digest = self.templates(self.theme_dirs)

        def analyse() -> TemplateUse | None:
            if (digest, name) not in _USES:
                _USES[digest, name] = template_use(self.env, name)
            return _USES[digest, name]

        return record.template_use(digest, name, analyse)

    def keep_sections(self, cache: SectionCache) -> None:
        """Take index.html's unchanged chapter sections from `cache` (and keep the new)."""
        self.context["chapter_section"] = _Sections(self, cache)

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        chapters: tuple[Chapter, ...] = self.context["chapters"]
        return chapters

    def render(self, name: str, **extra: Any) -> str:
        try:
            return self.env.get_template(name).render({**self.context, **extra})
        except TemplateError as exc:
            where_name, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
            where = f" ({where_name}:{line})" if where_name else ""
            raise RenderError(f"theme {self.theme!r}{where}: {exc}") from exc

    def chapter_page(self, view: BookView, number: int) -> str:
        """The page of the chapter at `number` (0-based): that chapter in full, the others as
        navigation (see site.py), linking to its neighbours."""
        nav = self.navigation
        own = self.chapters[number]
        chapters = (*nav[:number], own, *nav[number + 1 :])
        return self.render(
            CHAPTER_TEMPLATE,
            book=view_for_page(view, self.navigation_view, number),
            chapters=chapters,
            figures=list(own.figures),
            page_chapter=own,
            previous=nav[number - 1] if number > 0 else None,
            following=nav[number + 1] if number + 1 < len(nav) else None,
        )

    @cached_property
    def navigation(self) -> tuple[Chapter, ...]:
        return tuple(navigation_only(chapter) for chapter in self.chapters)

    @cached_property
    def navigation_view(self) -> tuple[ChapterView, ...]:
        return navigation_view(self.view)


def render_html(
    view: BookView,
    out_dir: Path,
    theme_dirs: Sequence[Path] = (),
    downloads: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write the HTML site: out_dir/index.html (cover, front matter, contents and the whole
    book), one page per chapter (`ch-<id>.html`, with previous/next links), and
    out_dir/assets/<hex16>.png; `downloads` are (label, file) links to the PDF and EPUB.
    Only files whose bytes change are written. Returns the index path."""
    view = front_of_wrap(view)  # the front cover shows the front of art made across the wrap
    record = PageRecord(build_path(out_dir))
    for ill in _all_illustrations(view):
        _write_asset(out_dir, record, ill)
    for name, data in theme_static_files(theme_dirs).items():
        _write_if_changed(build_path(out_dir, ASSETS, THEME_ASSETS, name), data)
    src: ImageSource = lambda ill: f"{ASSETS}/{asset_name(ill, 'png')}"  # noqa: E731
    pages = _Pages(view, src, theme_dirs, "screen", downloads)
    site = _section_site(view, pages, record, theme_dirs, downloads)
    sections = SectionCache(build_path(out_dir), site)
    pages.keep_sections(sections)
    index = build_path(out_dir, "index.html")
    _write_if_changed(index, pages.render(ENTRY_TEMPLATE).encode("utf-8"))
    sections.save()
    _write_if_changed(build_path(out_dir, CONTENTS_SCRIPT), contents_script(pages.chapters))
    _write_chapter_pages(view, pages, out_dir, record, theme_dirs, downloads)
    record.save()
    return index


def _section_site(
    view: BookView,
    pages: _Pages,
    record: PageRecord,
    theme_dirs: Sequence[Path],
    downloads: Sequence[tuple[str, str]],
) -> str | None:
    """The site key of index.html's chapter sections; None when they cannot be kept (their
    templates read every chapter or figure, or choose templates at render time)."""
    use = pages.use(record, SECTION_TEMPLATE)
    if use is None or use.lists_chapters or use.uses("figures"):
        return None
    return site_key(
        view, theme_dirs, downloads, use.uses("disclosure"), False, pages.templates(theme_dirs)
    )


def _write_asset(out_dir: Path, record: PageRecord, ill: IllustrationView) -> None:
    """A picture's asset, named by its digest: its bytes are read (from the store) only when
    the file is missing or was changed since it was written."""
    name = f"{ASSETS}/{asset_name(ill, 'png')}"
    if record.asset_current(name, ill.digest):
        return
    _write_if_changed(build_path(out_dir, ASSETS, asset_name(ill, "png")), ill.image)
    record.wrote_asset(name, ill.digest)


def _write_chapter_pages(
    view: BookView,
    pages: _Pages,
    out_dir: Path,
    record: PageRecord,
    theme_dirs: Sequence[Path],
    downloads: Sequence[tuple[str, str]],
) -> None:
    """One page per chapter, rendered only when what it shows changed (site.py); pages of
    chapters no longer in the book are removed."""
    use = pages.use(record, CHAPTER_TEMPLATE) or EVERYTHING
    disclosure = use is EVERYTHING or use.uses("disclosure")
    templates = pages.templates(theme_dirs)
    site = site_key(view, theme_dirs, downloads, disclosure, use.lists_chapters, templates)
    for number, chapter in enumerate(pages.chapters):
        key = page_key(site, view.chapters, number)
        if record.current(chapter.page, key):
            continue
        data = pages.chapter_page(view, number).encode("utf-8")
        _write_if_changed(build_path(out_dir, chapter.page), data)
        record.wrote(chapter.page, key, data)
    current = {chapter.page for chapter in pages.chapters}
    for old in build_path(out_dir).glob("ch-*.html"):
        if old.name not in current and not old.is_symlink():
            old.unlink()


def _write_if_changed(target: Path, data: bytes) -> None:
    if not (target.is_file() and target.read_bytes() == data):
        replace_file(target, data)


def _all_illustrations(view: BookView) -> list[IllustrationView]:
    found = [view.cover] if view.cover else []
    found += [ill for ch in view.chapters for ill in ch.illustrations]
    return list({asset_name(ill, "png"): ill for ill in found}.values())
