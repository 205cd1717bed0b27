"""Changes the studio makes to a book: a new book.yaml text (and mask files), checked and
forecast before anything is written, then written atomically inside the book folder."""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from bookbuild.build.forecast import Forecast
from bookbuild.errors import SpecError, StudioInputError
from bookbuild.fsutil import atomic_write_bytes, atomic_write_text
from bookbuild.hashing import digest_of
from bookbuild.media.images import decode_image, encode_png
from bookbuild.project import Project, load_spec
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.spec import resolve_in_book
from bookbuild.spec.models import Book

MASK_FOLDER = "masks"
MAX_MASK_BYTES = 16 * 1024 * 1024
STUDIO_MASK = re.compile(rf"{MASK_FOLDER}/[A-Za-z0-9_.-]+-edit-[0-9]+-[0-9a-f]{{8}}\.png")


@dataclass(frozen=True)
class Candidate:
    """A proposed book.yaml: valid, with what building it would call and cost."""

    text: str
    forecast: Forecast
    paid: bool  # some call would cost money (or its price is unknown)
    masks: frozenset[str] = frozenset()  # the painted mask files its edits use

    def summary(self) -> dict[str, Any]:
        return forecast_summary(self.forecast, self.paid)


def forecast_summary(forecast: Forecast, paid: bool) -> dict[str, Any]:
    """What the page shows before a change or a build: calls, cost, calls of unknown price."""
    return {
        "calls": forecast.total_calls,
        "cost_usd": round(forecast.total_cost, 6),
        "unknown_price_calls": sum(forecast.unpriced.values()),
        "paid": paid,
    }


def check_candidate(project: Project, text: str) -> Candidate:
    """Validate `text` as the book's spec (every error at book.yaml:LINE:COL) and forecast it."""
    candidate = candidate_project(project, text)
    forecast = plan_report(candidate).forecast
    paid = not project.draft and (forecast.total_cost > 0 or bool(forecast.unpriced))
    return Candidate(text, forecast, paid, mask_files(candidate.spec.book))


def check_variants(project: Project, texts: list[str]) -> Candidate:
    """Versions of the book to build at once (variants): the first is the one written, the
    others are built and kept in the store; the forecast adds up what each would call."""
    checked = [check_candidate(project, text) for text in texts]
    calls: dict[str, int] = {}
    cost: dict[str, float] = {}
    unpriced: dict[str, int] = {}
    for one in checked:
        for name, n in one.forecast.calls.items():
            calls[name] = calls.get(name, 0) + n
        for name, usd in one.forecast.cost.items():
            cost[name] = cost.get(name, 0.0) + usd
        for name, n in one.forecast.unpriced.items():
            unpriced[name] = unpriced.get(name, 0) + n
    total = Forecast(calls, cost, unpriced, checked[0].forecast.local)
    first = checked[0]
    return Candidate(first.text, total, any(c.paid for c in checked), first.masks)


def candidate_project(project: Project, text: str) -> Project:
    """The project as it would be with `text` as its book.yaml (nothing is written)."""
    spec_path = project.spec.path
    fd, tmp = tempfile.mkstemp(dir=spec_path.parent, prefix=".studio-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            spec = load_spec(Path(tmp))
        except SpecError as exc:
            raise SpecError([replace(i, file=project.spec.file) for i in exc.issues]) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    spec = replace(spec, path=spec_path, display_name=project.spec.file)
    return Project(spec, project.draft, project.env)


def mask_files(book: Book) -> frozenset[str]:
    """The painted mask files (paths as written) that the book's edits use."""
    ills = [
        *([book.cover] if book.cover else []),
        *(i for c in book.chapters for i in c.illustrations),
    ]
    found = (getattr(edit.params, "mask", None) for ill in ills for edit in ill.edits)
    return frozenset(mask for mask in found if isinstance(mask, str))


def write_spec(project: Project, candidate: Candidate) -> list[str]:
    """Replace book.yaml with the candidate (atomic: the old file or the new, never half), then
    delete the masks the studio painted that no edit uses any more; returns their paths."""
    unused = mask_files(project.spec.book) - candidate.masks
    atomic_write_text(project.spec.path, candidate.text)
    removed = []
    for relative in sorted(unused):
        if not STUDIO_MASK.fullmatch(relative):
            continue  # a mask the author made is theirs to delete
        try:
            target = resolve_in_book(project.root, relative)
        except ValueError:
            continue
        if target.is_file():
            target.unlink()
            removed.append(relative)
    return removed


def save_mask_png(root: Path, mask: Image.Image, stem: str) -> str:
    """Write a painted mask (white = repaint) under masks/, named by its content; return its
    path relative to the book folder. Refuses a masks/ folder that leads outside the book."""
    png = encode_png(mask.convert("L"))
    relative = f"{MASK_FOLDER}/{stem}-{digest_of(png)[7:15]}.png"
    try:
        target = resolve_in_book(root, relative)
    except ValueError as exc:
        raise StudioInputError(f"cannot write {relative}: {exc}") from None
    atomic_write_bytes(target, png)
    return relative


def decode_painted_mask(data_url: str) -> Image.Image:
    """A PNG data URL sent by the page, decoded with the project's checks (size, bombs)."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise StudioInputError("a painted mask must be sent as a PNG data URL")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise StudioInputError("the painted mask is not valid base64") from None
    if len(raw) > MAX_MASK_BYTES:
        raise StudioInputError("the painted mask is larger than 16 MiB")
    return decode_image(raw, what="the painted mask")
