"""PDF rendering through WeasyPrint (the only module that imports it; callers import this
module lazily, as `import weasyprint` costs ~0.7 s).

Every render gets a URL fetcher that serves only the build folder's files and the print images
prepared in memory; WeasyPrint's log records are collected, errors become RenderError and
warnings go to the caller's `warn`. Metadata and SOURCE_DATE_EPOCH are fixed, so the same view
gives the same bytes.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import weasyprint  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from ..errors import RenderError
from ..fsutil import atomic_write_bytes
from .assets import THEME_ASSETS, asset_name, theme_static_files
from .fetch import BASE_URL, build_path, fetch_bytes
from .fonts import check_font_coverage
from .html import ASSETS, document_html, layout_for
from .images import PRINT_DPI, max_pixels, prepare_for_print
from .theme import theme_settings
from .view import BookView, IllustrationView

__all__ = ["BuildFetcher", "pdf_stats", "render_pdf"]

Warn = Callable[[str], None]
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_ENV_LOCK = threading.Lock()


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
) -> Path:
    """Write out_dir/<slug>.pdf atomically and return its path."""
    if not _SLUG.match(slug):
        raise RenderError(f"PDF name {slug!r} must be a plain file name (letters, digits, ._-)")
    check_font_coverage(view)
    root = build_path(out_dir).resolve()
    prepared, sources = prepare_print_images(view, root)
    for name, data in theme_static_files(theme_dirs).items():
        prepared[root / ASSETS / THEME_ASSETS / name] = data
    html = document_html(view, lambda ill: sources[asset_name(ill, "png")], theme_dirs, "print")
    data = html_to_pdf(html, BuildFetcher(root, prepared), view.source_date_epoch, warn)
    target = build_path(out_dir, f"{slug}.pdf")
    atomic_write_bytes(target, data)
    return target


def prepare_print_images(view: BookView, root: Path) -> tuple[dict[Path, bytes], dict[str, str]]:
    """Each distinct image once, sized for its box at 300 DPI: (path -> bytes, key -> URL)."""
    layout = layout_for(view)
    full_page = theme_settings(view.style.theme).full_page_images
    box = max_pixels(*(layout.bleed_inches if full_page else layout.content_inches))
    cover_box = max_pixels(*layout.bleed_inches)
    prepared: dict[Path, bytes] = {}
    sources: dict[str, str] = {}
    for ill, ill_box in _illustrations(view, box, cover_box):
        key = asset_name(ill, "png")
        if key in sources:
            continue
        image = prepare_for_print(ill.image, ill_box, what=f"illustration {ill.id!r}")
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


def html_to_pdf(html: str, fetcher: BuildFetcher, epoch: int, warn: Warn | None = None) -> bytes:
    """Render HTML to PDF bytes; WeasyPrint errors (unloadable resources) raise RenderError.

    `dpi` caps any image placed smaller than its pixels; `jpeg_quality` is left unset because
    the print images are already JPEG q88 and setting it would re-encode every one of them."""
    with _collect_logs() as records, _source_date_epoch(epoch):
        try:
            document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
            data = document.write_pdf(dpi=PRINT_DPI, pdf_identifier=False, uncompressed_pdf=False)
        except weasyprint.urls.FatalURLFetchingError as exc:
            raise RenderError(f"PDF: {exc}") from exc
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    if errors:
        raise RenderError("PDF rendering failed:\n" + "\n".join(f"  {e}" for e in errors))
    for record in records:
        if warn is not None and record.levelno == logging.WARNING:
            warn(f"weasyprint: {record.getMessage()}")
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF bytes")
    return data


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


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """Fonts subset by fontTools stamp the time unless SOURCE_DATE_EPOCH is set."""
    with _ENV_LOCK:
        old = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            if old is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old


def pdf_stats(path: Path) -> dict[str, int]:
    """Pages and bytes of a PDF (pages read with poppler's pdfinfo when installed)."""
    stats = {"bytes": path.stat().st_size, "pages": 0}
    try:
        result = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError:
        return stats
    match = re.search(r"^Pages:\s+(\d+)", result.stdout, re.MULTILINE)
    stats["pages"] = int(match.group(1)) if match else 0
    return stats
