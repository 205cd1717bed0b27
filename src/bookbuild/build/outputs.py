"""Rendering the outputs, only when their inputs changed.

Each format's inputs are summed up in a fingerprint (bookbuild's version, the templates, the
book's metadata and style, and the digest of every text and image); it is recorded next to the
outputs, so a build with nothing changed re-renders nothing and never imports WeasyPrint.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from bookbuild.build.events import Event, EventSink, ignore_events
from bookbuild.build.sidecar import render_side_by_side
from bookbuild.errors import RenderError, UserError
from bookbuild.fsutil import atomic_write_text
from bookbuild.graph.model import Graph, IllustrationPlan
from bookbuild.hashing import digest_of, key_of
from bookbuild.render.view import BookView
from bookbuild.spec import LoadedSpec
from bookbuild.style import TEMPLATES
from bookbuild.version import __version__

FORMATS = ("html", "pdf", "epub")
DOWNLOADS = {"pdf": "PDF", "epub": "EPUB"}  # formats the HTML site links to
STATE_FILE = ".bookbuild-render.json"


def preload_pdf_renderer() -> threading.Thread:
    """Import the PDF renderer (WeasyPrint and its libraries: about half a second of CPU) in a
    thread while the steps run or the book is assembled (which mostly reads and hashes
    pictures; both release the GIL). Join it before rendering: the render may fork, and a
    child must not inherit an import half done. An import error is left for the render to
    raise, with its message."""

    def load() -> None:
        with contextlib.suppress(Exception):
            import bookbuild.render.pdf  # noqa: F401

    thread = threading.Thread(target=load, name="bookbuild-preload-pdf", daemon=True)
    thread.start()
    return thread


def parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if not formats:
        raise UserError("--format needs at least one of html, pdf, epub (comma-separated)")
    if unknown:
        raise UserError(f"--format: unknown {', '.join(unknown)}; use html, pdf, epub")
    return formats


def render_fingerprint(
    spec: LoadedSpec,
    graph: Graph,
    digests: Mapping[str, str],
    epoch: int,
    theme_dirs: list[Path],
    draft: bool = False,
    strict: bool = False,
) -> str:
    book = spec.book
    manifest: dict[str, Any] = {
        "bookbuild": __version__,
        "book": book.model_dump(
            mode="json", include={"title", "subtitle", "authors", "language", "style", "blurb"}
        ),
        "draft": draft,
        "strict": strict,
        "css": _file_digest(spec.root / book.style.css) if book.style.css else None,
        "epoch": epoch,
        "templates": _tree_digest([TEMPLATES, *theme_dirs]),
        "chapters": [
            {
                "id": plan.chapter.id,
                "title": plan.chapter.title,
                "text": digests[plan.text_step],
                "ills": [_illustration_inputs(i, digests) for i in plan.illustrations],
            }
            for plan in graph.chapters
        ],
        "cover": _illustration_inputs(graph.cover, digests) if graph.cover else None,
    }
    return key_of(manifest)


def _illustration_inputs(plan: IllustrationPlan, digests: Mapping[str, str]) -> list[Any]:
    """What the outputs show of an illustration: its id (anchors, colophon), image, texts."""
    ill = plan.illustration
    shape = getattr(ill, "shape", None)  # a cover's (only when given: earlier keys stay)
    return [plan.id, digests[plan.final_step], ill.caption, ill.alt, *([shape] if shape else [])]


def format_fingerprint(fmt: str, fingerprint: str, formats: Iterable[str]) -> str:
    """The HTML site links to the PDF and EPUB built with it, so its fingerprint names them."""
    if fmt != "html":
        return fingerprint
    linked = sorted(f for f in formats if f in DOWNLOADS)
    return f"{fingerprint}+{','.join(linked)}" if linked else fingerprint


def outputs_up_to_date(build_dir: Path, formats: Iterable[str], fingerprint: str) -> bool:
    formats = tuple(formats)
    state = _read_state(build_dir)
    for fmt in formats:
        entry = state.get(fmt)
        expected = format_fingerprint(fmt, fingerprint, formats)
        if not isinstance(entry, dict) or entry.get("fingerprint") != expected:
            return False
        path = build_dir / str(entry.get("file", ""))
        if not path.is_file() or _file_digest(path) != entry.get("digest"):
            return False
    return True


def render_outputs(
    view: BookView,
    build_dir: Path,
    formats: Iterable[str],
    fingerprint: str,
    theme_dirs: list[Path],
    slug: str,
    on_render: Callable[[str, Path], None] | None = None,
    warn: Callable[[str], None] | None = None,
    *,
    strict: bool = False,
    cache_dir: Path | None = None,
    progress: EventSink = ignore_events,
) -> dict[str, Path]:
    """Render each format: the PDF in this process while the HTML site and the EPUB are made
    in a child process on another core (sidecar.py); `strict` makes the print preflight's
    warnings errors; `cache_dir` keeps derived files (print images) between builds;
    `progress` gets each format's start and the PDF's pages (of the count the last build
    laid out, 0 when unknown). Each format is recorded as soon as it is written."""
    formats = tuple(formats)
    if "pdf" in formats:  # before any output is written: a missing glyph fails the whole render
        from bookbuild.render.fonts import check_font_coverage

        check_font_coverage(view)
    state = _read_state(build_dir)
    pages = _Pages(progress, _recorded_pages(state))
    renderers = _renderers(theme_dirs, slug, warn, strict, formats, cache_dir, pages)
    recording = threading.Lock()

    def done(fmt: str, path: Path) -> None:
        with recording:
            state[fmt] = {
                "fingerprint": format_fingerprint(fmt, fingerprint, formats),
                "file": path.relative_to(build_dir).as_posix(),
                "digest": _file_digest(path),
                **({"pages": pages.laid_out} if fmt == "pdf" and pages.laid_out else {}),
            }
            atomic_write_text(build_dir / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))
            if on_render:
                on_render(fmt, path)

    def render(fmt: str) -> Path:
        return _render_one(renderers[fmt], fmt, view, build_dir)

    ordered = [f for f in FORMATS if f in formats]
    here = [f for f in ordered if f == "pdf"]
    aside = [f for f in ordered if f != "pdf"]
    written = render_side_by_side(here, aside, render, done, pages.started)
    return {fmt: written[fmt] for fmt in ordered}


class _Pages:
    """Reports the formats as they start and the PDF's pages as WeasyPrint lays them out."""

    def __init__(self, sink: EventSink, expected: int) -> None:
        self.sink = sink
        self.expected = expected
        self.laid_out = 0

    def started(self, fmt: str) -> None:
        total = self.expected if fmt == "pdf" else 0
        self.sink(Event("render_format_started", fmt, total=total))

    def report(self, stage: str, page: int) -> None:
        self.laid_out = max(self.laid_out, page)
        total = max(self.expected, self.laid_out) if self.expected else 0
        self.sink(Event("render_progress", "pdf", stage, total=total, done=self.laid_out))


def _recorded_pages(state: dict[str, Any]) -> int:
    entry = state.get("pdf")
    pages = entry.get("pages") if isinstance(entry, dict) else None
    return pages if isinstance(pages, int) and pages > 0 else 0


def recorded_outputs(build_dir: Path, formats: Iterable[str]) -> dict[str, Path]:
    state = _read_state(build_dir)
    return {f: build_dir / str(state[f]["file"]) for f in formats if isinstance(state.get(f), dict)}


def _render_one(
    renderer: Callable[[BookView, Path], Path], fmt: str, view: BookView, build_dir: Path
) -> Path:
    try:
        return renderer(view, build_dir)
    except OSError as exc:
        raise RenderError(
            f"{fmt}: cannot write to {build_dir}: {exc}; check that it is a writable folder"
        ) from exc


def _renderers(
    theme_dirs: list[Path],
    slug: str,
    warn: Callable[[str], None] | None,
    strict: bool = False,
    formats: tuple[str, ...] = (),
    cache_dir: Path | None = None,
    pages: _Pages | None = None,
) -> dict[str, Callable[[BookView, Path], Path]]:
    downloads = [(DOWNLOADS[f], f"{slug}.{f}") for f in formats if f in DOWNLOADS]

    def html(view: BookView, out: Path) -> Path:
        from bookbuild.render.html import render_html

        return render_html(view, out, theme_dirs, downloads)

    def pdf(view: BookView, out: Path) -> Path:
        from bookbuild.render.pdf import render_pdf
        from bookbuild.render.progress import pdf_progress

        images = cache_dir / "print" if cache_dir else None
        with pdf_progress(pages.report if pages else lambda stage, page: None):
            return render_pdf(  # render_outputs checked the fonts before any output
                view,
                out,
                theme_dirs,
                slug=slug,
                warn=warn,
                strict=strict,
                image_cache=images,
                check_fonts=False,
            )

    def epub(view: BookView, out: Path) -> Path:
        from bookbuild.render.epub import render_epub

        images = cache_dir / "epub" if cache_dir else None
        return render_epub(view, out, slug=slug, image_cache=images)

    return {"html": html, "pdf": pdf, "epub": epub}


def _read_state(build_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((build_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _file_digest(path: Path) -> str:
    return digest_of(path.read_bytes())


def _tree_digest(folders: list[Path]) -> str:
    entries = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                entries.append([path.relative_to(folder).as_posix(), _file_digest(path)])
    return key_of({"files": entries})
