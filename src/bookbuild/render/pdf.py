"""PDF rendering through WeasyPrint (the only module that imports it; callers import this
module lazily, as `import weasyprint` costs ~0.7 s).

Every render gets a URL fetcher that serves only the build folder's files and the print images
prepared in memory; WeasyPrint's log records are collected, errors become RenderError and
warnings go to the caller's `warn`. Metadata and SOURCE_DATE_EPOCH are fixed, so the same view
gives the same bytes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import weasyprint  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from ..errors import PreflightError, RenderError
from ..fsutil import atomic_write_bytes
from ..style import fmt_pt, theme_settings
from .assets import THEME_ASSETS, asset_name, theme_static_files
from .cover import cover_html
from .fetch import BASE_URL, build_path, fetch_bytes
from .floats import MAX_PASSES, defer_figures, pushed_figures
from .fonts import check_font_coverage
from .geometry import bleeds, print_geometry
from .html import ASSETS, document_html, layout_for
from .images import PRINT_DPI, cmyk_profile, max_pixels
from .ink import cmyk_html
from .pdfbytes import fixed_ids, source_date_epoch
from .pdfcheck import Expect, check_pdf
from .preflight import Placement, preflight
from .printcache import PrintJob, prepare_many
from .printing import Printer, cover_wrap, printer
from .progress import COVER, note
from .view import BookView, IllustrationView

__all__ = ["BuildFetcher", "render_pdf"]

Warn = Callable[[str], None]
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class BuildFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files inside `root` (symlinks resolved) and `prepared` bytes; refuses the rest."""

    def __init__(self, root: Path, prepared: Mapping[Path, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=("file", "data", "https"), allow_redirects=False)
        self.root = root.resolve()
        self.prepared = dict(prepared or {})

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)  # decoded locally by urllib's DataHandler
        data = fetch_bytes(url, self.root, self.prepared)
        kind = _media_type(Path(url.split("?")[0].split("#")[0]))
        return URLFetcherResponse(url, data, {"Content-Type": kind})


def _media_type(path: Path) -> str:
    types = {
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".png": "image/png",
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".webp": "image/webp",
    }
    return types.get(path.suffix.lower(), "application/octet-stream")


def render_pdf(
    view: BookView,
    out_dir: Path,
    theme_dirs: Sequence[Path] = (),
    slug: str = "book",
    *,
    warn: Warn | None = None,
    strict: bool = False,
    image_cache: Path | None = None,
    check_fonts: bool = True,
) -> Path:
    """Write out_dir/<slug>.pdf (the interior) and out_dir/<slug>-cover.pdf atomically and
    return the interior's path. On a print target (`style.print`) the interior gets the
    printer's bleed and gutter for its page count and PDF/X; the preflight's warnings go to
    `warn`, or raise PreflightError when `strict`. Print images are kept in `image_cache`
    (a folder) when given. `check_fonts=False`: the caller checked the fonts' coverage."""
    if not _SLUG.match(slug):
        raise RenderError(f"PDF name {slug!r} must be a plain file name (letters, digits, ._-)")
    if check_fonts:
        check_font_coverage(view)
    target = printer(view.style.print_target) if view.style.print_target else None
    root = build_path(out_dir).resolve()
    fetcher, sources = _fetcher(view, root, theme_dirs, target, image_cache)
    with _weasyprint(view.source_date_epoch, warn) as convert:
        fitted, document = _interior(view, target, theme_dirs, sources, fetcher, convert)
        pages = len(document.pages)
        options = _write_options(view, target)
        interior = _bytes(document.write_pdf(**options))
        note(COVER)
        cover_doc = convert(_cover_document(fitted, target, pages, sources, theme_dirs), fetcher)
        cover = _bytes(cover_doc.write_pdf(**options))
    interior = fixed_ids(interior, f"{view.identifier}:{slug}")
    cover = fixed_ids(cover, f"{view.identifier}:{slug}:cover")
    if target is not None:
        note("checking the PDF")
        found = _preflight(fitted, target, document, sources, cover_doc)
        found += _read_back(fitted, target, interior, cover, pages)
        _report(found, target.label, warn, strict)
    note("saving")
    target_path = build_path(out_dir, f"{slug}.pdf")
    atomic_write_bytes(build_path(out_dir, f"{slug}-cover.pdf"), cover)
    atomic_write_bytes(target_path, interior)
    return target_path


_WRITE_OPTIONS: dict[str, Any] = {
    "dpi": PRINT_DPI,  # caps any image placed smaller than its pixels
    "pdf_identifier": False,
    "uncompressed_pdf": False,
}  # jpeg_quality unset: the print images are already JPEG q88 (no second encoding)


def _write_options(view: BookView, target: Printer | None) -> dict[str, Any]:
    """Screen PDFs as before; print targets as PDF/X with a trailer /ID (X-4, or X-1a). A
    book with `style.alt: describe` gets a tagged PDF: each picture a Figure with its /Alt."""
    tags = {"pdf_tags": True} if view.style.alt == "describe" else {}
    if target is None:
        return {**_WRITE_OPTIONS, **tags}
    return {**_WRITE_OPTIONS, **tags, "pdf_identifier": True, "pdf_variant": pdf_variant(view)}


def pdf_variant(view: BookView) -> str:
    return "pdf/x-1a" if view.style.pdf_x == "x-1a" else "pdf/x-4"


Convert = Callable[[str, "BuildFetcher"], Any]


def _interior(
    view: BookView,
    target: Printer | None,
    theme_dirs: Sequence[Path],
    sources: dict[str, str],
    fetcher: BuildFetcher,
    convert: Convert,
) -> tuple[BookView, Any]:
    """The laid-out interior, laid out again when a picture left a hole before it (moved after
    the next paragraph, floats.py) and, on a print target, when its page count calls for
    another gutter (the gutter only grows with the page count); then padded to an even page
    count with a blank last page."""
    fitted = view if target is None else _for_print(view, target, pages=0)
    deferred: list[str] = []  # figures moved after the next paragraph (floats.py)
    passes = 0
    for _ in range(3 + MAX_PASSES):
        html = defer_figures(_print_html(fitted, sources, theme_dirs), deferred)
        document = convert(html, fetcher)
        pushed = [f for f in pushed_figures(document) if deferred.count(f) < MAX_PASSES]
        if pushed and passes < MAX_PASSES:
            deferred, passes = deferred + pushed, passes + 1
            continue
        if target is None:
            return fitted, document
        again = _for_print(view, target, pages=len(document.pages))
        if again == fitted:
            break
        fitted = again
    if len(document.pages) % 2:
        padded = convert(html.replace("</body>", '<div class="even-pad"></div></body>'), fetcher)
        if len(padded.pages) == len(document.pages) + 1:
            document = padded
    return fitted, document


def _print_html(view: BookView, sources: dict[str, str], theme_dirs: Sequence[Path]) -> str:
    html = document_html(view, lambda i: sources[asset_name(i, "png")], theme_dirs, "print")
    if not view.style.print_target:
        return html
    return cmyk_html(html, opaque=view.style.pdf_x == "x-1a")


def _for_print(view: BookView, target: Printer, pages: int) -> BookView:
    """The view with the printer's bleed (or none) and margins for this page count."""
    plain = replace(view, style=replace(view.style, bleed=None))
    geometry = print_geometry(layout_for(plain), target, pages, bleeds(view))
    bleed = fmt_pt(geometry.bleed) if geometry.bleed else None
    return replace(view, style=replace(view.style, bleed=bleed, margin=geometry.margin))


def _fetcher(
    view: BookView,
    root: Path,
    theme_dirs: Sequence[Path],
    target: Printer | None,
    image_cache: Path | None = None,
) -> tuple[BuildFetcher, dict[str, str]]:
    """What the renderer may load: the build folder, the print images, the theme's static
    files and, on a print target, the CMYK profile."""
    limit = target.ink_limit if target is not None else 300
    prepared, sources = prepare_print_images(
        view, root, target is not None, image_cache, ink_limit=limit
    )
    for name, data in theme_static_files(theme_dirs).items():
        prepared[root / ASSETS / THEME_ASSETS / name] = data
    if target is not None:
        prepared[root / ASSETS / "print" / "cmyk.icc"] = cmyk_profile()
    return BuildFetcher(root, prepared), sources


def _preflight(
    view: BookView, target: Printer, document: Any, sources: dict[str, str], cover: Any
) -> list[str]:
    """Findings on the laid-out pages: pictures under 300 ppi where they are placed (the
    interior's and the cover's), the printer's page-count range."""
    by_src = {sources[asset_name(i, "png")]: i for i in _all(view)}
    placements = [*_placements(document), *_placements(cover)]
    pages = len(document.pages)
    return preflight(placements, by_src, target, pages, view.cover, view.cover_fix)


def _read_back(
    view: BookView, target: Printer, interior: bytes, cover: bytes, pages: int
) -> list[str]:
    """Findings on the written files (pdfcheck): boxes, colours, fonts, output intent, /ID,
    text inside the safe zone, total ink."""
    layout = layout_for(view)
    trim = (layout.page.width, layout.page.height)
    geometry = print_geometry(layout, target, pages, bleeds(view))
    inside = Expect(
        trim=trim,
        bleed=layout.bleed,
        safe=(geometry.safe, geometry.gutter),
        ink_limit=target.ink_limit,
        transparency=view.style.pdf_x != "x-1a",
    )
    wrap = cover_wrap(layout.page, target, pages, view.style.paper)
    outside = Expect(
        trim=(wrap.width, layout.page.height),
        bleed=wrap.bleed,
        sides=False,
        ink_limit=target.ink_limit,
        what="cover",
        even_pages=False,
        transparency=view.style.pdf_x != "x-1a",
    )
    return [*check_pdf(interior, inside), *check_pdf(cover, outside)]


def _report(found: list[str], label: str, warn: Warn | None, strict: bool) -> None:
    if strict and found:
        lines = "\n".join(f"  {item}" for item in found)
        raise PreflightError(f"print preflight for {label} (--strict):\n{lines}")
    for item in found:
        if warn is not None:
            warn(f"preflight: {item}")


def _placements(document: Any) -> list[Placement]:
    """Every <img> of the laid-out pages with its content box (CSS px) and object-fit."""
    found = []
    for page in document.pages:
        for box in _descendants(page._page_box):
            element = getattr(box, "element", None)
            if hasattr(box, "replacement") and element is not None and element.tag == "img":
                fit = str(box.style["object_fit"])
                found.append(Placement(element.get("src", ""), box.width, box.height, fit))
    return found


def _descendants(box: Any) -> Iterator[Any]:
    """The box and every box inside it, through absolutely positioned ones (which WeasyPrint's
    own descendants() leaves behind their placeholders: the cover's art is one)."""
    box = getattr(box, "_box", box)
    yield box
    for child in getattr(box, "children", ()):
        yield from _descendants(child)


def _all(view: BookView) -> list[IllustrationView]:
    return [ill for ill, _ in _illustrations(view, (1, 1), (1, 1))]


def _cover_document(
    view: BookView,
    target: Printer | None,
    pages: int,
    sources: dict[str, str],
    theme_dirs: Sequence[Path],
) -> str:
    """The cover's HTML: a wrap sized from the page count on a print target."""
    layout = layout_for(view)
    wrap = cover_wrap(layout.page, target, pages, view.style.paper) if target else None
    html = cover_html(view, layout, wrap, lambda i: sources[asset_name(i, "png")], theme_dirs)
    return cmyk_html(html, opaque=view.style.pdf_x == "x-1a") if target else html


def _bytes(data: object) -> bytes:
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF bytes")
    return data


def prepare_print_images(
    view: BookView,
    root: Path,
    cmyk: bool = False,
    cache: Path | None = None,
    ink_limit: int = 300,
) -> tuple[dict[Path, bytes], dict[str, str]]:
    """Each distinct image once, sized for its box at 300 DPI: (path -> bytes, key -> URL);
    kept in the `cache` folder, and made on every core when many are missing."""
    layout = layout_for(view)
    full_page = theme_settings(view.style.theme).full_page_images
    box = max_pixels(*(layout.bleed_inches if full_page else layout.content_inches))
    cover_box = max_pixels(*layout.bleed_inches)
    unique: dict[str, tuple[IllustrationView, PrintJob]] = {}
    for ill, ill_box in _illustrations(view, box, cover_box):
        what = f"illustration {ill.id!r}"
        job = PrintJob(ill.digest, ill.image, ill_box, what, cmyk, ink_limit)
        unique.setdefault(asset_name(ill, "png"), (ill, job))
    images = prepare_many([job for _, job in unique.values()], cache)
    prepared: dict[Path, bytes] = {}
    sources: dict[str, str] = {}
    for (key, (ill, _)), image in zip(unique.items(), images, strict=True):
        name = asset_name(ill, image.ext)
        prepared[root / ASSETS / name] = image.data
        sources[key] = f"{ASSETS}/{name}"
    return prepared, sources


def _illustrations(
    view: BookView, box: tuple[int, int], cover_box: tuple[int, int]
) -> Iterator[tuple[IllustrationView, tuple[int, int]]]:
    if view.cover:
        yield view.cover, cover_box
    for chapter in view.chapters:
        for ill in chapter.illustrations:
            yield ill, box


@contextmanager
def _weasyprint(epoch: int, warn: Warn | None) -> Iterator[Convert]:
    """Lay out HTML with WeasyPrint; its errors (unloadable resources) raise RenderError at
    the end, its warnings go to `warn`."""

    def convert(html: str, fetcher: BuildFetcher) -> Any:
        try:
            return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
        except weasyprint.urls.FatalURLFetchingError as exc:
            raise RenderError(f"PDF: {exc}") from exc

    with _collect_logs() as records, source_date_epoch(epoch):
        yield convert
    errors = [
        r.getMessage()
        for r in records
        if r.levelno >= logging.ERROR and not _DECORATIVE.match(r.getMessage())
    ]
    if errors:
        raise RenderError("PDF rendering failed:\n" + "\n".join(f"  {e}" for e in errors))
    for record in records:
        if warn is not None and record.levelno == logging.WARNING:
            warn(f"weasyprint: {record.getMessage()}")


def html_to_pdf(html: str, fetcher: BuildFetcher, epoch: int, warn: Warn | None = None) -> bytes:
    """Render HTML to PDF bytes; WeasyPrint errors (unloadable resources) raise RenderError."""
    with _weasyprint(epoch, warn) as convert:
        data = convert(html, fetcher).write_pdf(**_WRITE_OPTIONS)
    return _bytes(data)


_DECORATIVE = re.compile(r'Image ".*" has no required alt description$')
"""What a tagged PDF (`style.alt: describe`) logs for a decorative picture (`alt=""`: the
back half of a wrap-around cover, the second half of a spread): not an error."""


class _ListHandler(logging.Handler):
    def __init__(self, thread: int) -> None:
        super().__init__(logging.WARNING)
        self.thread = thread
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def _collect_logs() -> Iterator[list[logging.LogRecord]]:
    handler = _ListHandler(threading.get_ident())
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
