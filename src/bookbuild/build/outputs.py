"""Rendering the outputs, only when their inputs changed.

Each format's inputs are summed up in a fingerprint (bookbuild's version, the templates, the
book's metadata and style, and the digest of every text and image); it is recorded next to the
outputs, so a build with nothing changed re-renders nothing and never imports WeasyPrint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

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
    return [plan.id, digests[plan.final_step], ill.caption, ill.alt]


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
) -> dict[str, Path]:
    """Render each format (HTML first: the PDF is made from the same page); `strict` makes
    the print preflight's warnings errors."""
    formats = tuple(formats)
    if "pdf" in formats:  # before any output is written: a missing glyph fails the whole render
        from bookbuild.render.fonts import check_font_coverage

        check_font_coverage(view)
    renderers = _renderers(theme_dirs, slug, warn, strict, formats)
    state = _read_state(build_dir)
    written: dict[str, Path] = {}
    for fmt in FORMATS:
        if fmt not in formats:
            continue
        path = _render_one(renderers[fmt], fmt, view, build_dir)
        written[fmt] = path
        state[fmt] = {
            "fingerprint": format_fingerprint(fmt, fingerprint, formats),
            "file": path.relative_to(build_dir).as_posix(),
            "digest": _file_digest(path),
        }
        atomic_write_text(build_dir / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))
        if on_render:
            on_render(fmt, path)
    return written


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
) -> dict[str, Callable[[BookView, Path], Path]]:
    downloads = [(DOWNLOADS[f], f"{slug}.{f}") for f in formats if f in DOWNLOADS]

    def html(view: BookView, out: Path) -> Path:
        from bookbuild.render.html import render_html

        return render_html(view, out, theme_dirs, downloads)

    def pdf(view: BookView, out: Path) -> Path:
        from bookbuild.render.pdf import render_pdf

        return render_pdf(view, out, theme_dirs, slug=slug, warn=warn, strict=strict)

    def epub(view: BookView, out: Path) -> Path:
        from bookbuild.render.epub import render_epub

        return render_epub(view, out, slug=slug)

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
