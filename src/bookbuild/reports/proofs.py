"""`bookbuild proofs`: a contact sheet of every illustration's chain and takes, as HTML and PDF.

What an art director reviews: each picture with its step id, status, seed and prompt, each edit's
picture before it with the mask outlined in red, and every stored take; with a cast, first the
cast page (each character's reference beside every picture it is in, see proofs_cast). Written to
build/proofs/index.html (pictures beside it) and build/proofs.pdf; nothing is called.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from PIL import Image, ImageFilter

from bookbuild.errors import BookbuildError
from bookbuild.fsutil import atomic_write_bytes, atomic_write_text
from bookbuild.media.images import decode_image, encode_png
from bookbuild.project import Project
from bookbuild.render.fetch import build_path
from bookbuild.reports.board import IllustrationView, board
from bookbuild.reports.overlay import edit_mask
from bookbuild.reports.proofs_cast import cast_page

PROOFS_FOLDER = "proofs"
THUMBNAIL = 480
OUTLINE_RGB = (230, 30, 60)


@dataclass(frozen=True)
class ProofFiles:
    html: Path
    pdf: Path
    illustrations: int


def write_proofs(project: Project) -> ProofFiles:
    """Write the contact sheet of the book's illustrations (as built: lock + store)."""
    views = board(project)
    folder = build_path(project.build_dir, PROOFS_FOLDER)
    pictures = _Pictures(project, folder)
    sheets = [_sheet(view, pictures) for view in views]
    cast = cast_page(project, pictures.plain, pictures.own)
    html = _template().render(
        title=project.spec.book.title, sheets=sheets, draft=project.draft, cast=cast
    )
    html_path = build_path(project.build_dir, PROOFS_FOLDER, "index.html")
    atomic_write_text(html_path, html)
    from bookbuild.render.pdf import BuildFetcher, html_to_pdf

    pdf = html_to_pdf(html, BuildFetcher(folder), int(time.time()))
    pdf_path = build_path(project.build_dir, "proofs.pdf")
    atomic_write_bytes(pdf_path, pdf)
    return ProofFiles(html_path, pdf_path, len(views))


class _Pictures:
    """Thumbnails of stored pictures, written once each under build/proofs/img/."""

    def __init__(self, project: Project, folder: Path) -> None:
        self.project = project
        self.folder = folder

    def plain(self, digest: str | None) -> str | None:
        if digest is None:
            return None
        name = f"img/{digest[7:23]}.png"
        target = build_path(self.folder, "img", name[4:])
        if not target.exists():
            atomic_write_bytes(target, encode_png(self._thumbnail(digest)))
        return name

    def own(self, digest: str, data: bytes) -> str:
        """A picture of the book folder (a reference), as a thumbnail."""
        name = f"img/ref-{digest[7:23]}.png"
        target = build_path(self.folder, "img", name[4:])
        if not target.exists():
            picture = decode_image(data)
            picture.thumbnail((THUMBNAIL, THUMBNAIL))
            atomic_write_bytes(target, encode_png(picture))
        return name

    def outlined(self, digest: str | None, step_id: str) -> str | None:
        """The picture before an inpaint edit with the edge of its mask drawn in red."""
        if digest is None:
            return None
        try:
            mask = edit_mask(self.project, step_id)
        except (LookupError, BookbuildError):
            return self.plain(digest)
        name = f"img/{step_id.replace('/', '--')}-mask.png"
        picture = decode_image(self.project.store.get(digest)).convert("RGB")
        edge = mask.point(lambda v: 255 if v >= 128 else 0).filter(ImageFilter.FIND_EDGES)
        edge = edge.filter(ImageFilter.MaxFilter(max(3, (min(picture.size) // 160) | 1)))
        picture.paste(OUTLINE_RGB, mask=edge)
        picture.thumbnail((THUMBNAIL, THUMBNAIL))
        atomic_write_bytes(build_path(self.folder, "img", name[4:]), encode_png(picture))
        return name

    def _thumbnail(self, digest: str) -> Image.Image:
        picture = decode_image(self.project.store.get(digest))
        picture.thumbnail((THUMBNAIL, THUMBNAIL))
        return picture


@dataclass(frozen=True)
class _Cell:
    label: str
    step_id: str
    state: str
    picture: str | None
    before: str | None = None
    prompt: str = ""
    seed: object = None


@dataclass(frozen=True)
class _Sheet:
    view: IllustrationView
    cells: list[_Cell]
    takes: list[tuple[int, str | None, object, bool]]


def _sheet(view: IllustrationView, pictures: _Pictures) -> _Sheet:
    current = next((t for t in view.takes if t.current), None)
    cells = []
    for link in view.links:
        before = None
        if link.before is not None and link.has_mask:
            before = pictures.outlined(link.before, link.step_id)
        elif link.before is not None:
            before = pictures.plain(link.before)
        seed = current.seed if current is not None and link.edit_index is None else None
        picture = pictures.plain(link.digest)
        cells.append(
            _Cell(link.label, link.step_id, link.state, picture, before, link.prompt, seed)
        )
    takes = [(t.number, pictures.plain(t.digest), t.seed, t.current) for t in view.takes]
    return _Sheet(view, cells, takes)


def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bookbuild", "templates/proofs"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return environment.get_template("proofs.html.j2")
