"""The cast page of `bookbuild proofs`: one row per character, its reference (your picture or
the generated sheet) beside every picture it appears in, and what repainting it would re-run
and cost. Read from `reports.cast` (the lineup and the change forecast)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bookbuild.media.images import decode_image, encode_png
from bookbuild.project import Project
from bookbuild.reports.cast import CastMember, ChangeForecast, cast_lineup, change_forecast
from bookbuild.spec.paths import resolve_in_book

CELLS_PER_LINE = 7  # 34 mm cells across A4 landscape (273 mm inside the margins)
Thumbnail = Callable[[str | None], str | None]  # a stored picture's digest -> its file name
FileThumbnail = Callable[[str, bytes], str]  # (name, picture bytes) -> its file name


@dataclass(frozen=True)
class CastPicture:
    label: str  # the illustration key ("start/line"), or "reference"
    title: str
    state: str
    picture: str | None
    sent: str = ""  # how the character's reference reached the picture


@dataclass(frozen=True)
class CastRow:
    member: CastMember
    reference: tuple[CastPicture, ...]
    pictures: tuple[CastPicture, ...]
    change: ChangeForecast

    @property
    def lines(self) -> tuple[tuple[CastPicture, ...], ...]:
        """The pictures, as many to a line as fit beside the reference; the reference starts
        every line, so each picture is printed beside it (none is cut off the page)."""
        per_line = max(1, CELLS_PER_LINE - max(1, len(self.reference)))
        chunks = [self.pictures[n : n + per_line] for n in range(0, len(self.pictures), per_line)]
        return tuple(chunks) or ((),)


@dataclass(frozen=True)
class CastPage:
    rows: tuple[CastRow, ...]
    undecided: tuple[str, ...]


def cast_page(project: Project, stored: Thumbnail, own: FileThumbnail) -> CastPage | None:
    """The page's rows, thumbnails written; None when the book has no cast."""
    if not project.spec.book.characters:
        return None
    lineup = cast_lineup(project)
    rows = []
    for member in lineup.members:
        reference = _reference(project, member, stored, own)
        pictures = tuple(
            CastPicture(a.key, a.title, a.state, stored(a.digest), a.sent)
            for a in member.appearances
        )
        rows.append(CastRow(member, reference, pictures, change_forecast(project, member.id)))
    return CastPage(tuple(rows), lineup.undecided)


def _reference(
    project: Project, member: CastMember, stored: Thumbnail, own: FileThumbnail
) -> tuple[CastPicture, ...]:
    if member.reference == "sheet":
        digest = member.digests[0] if member.digests else None
        return (CastPicture(str(member.sheet), "character sheet", member.state, stored(digest)),)
    found = []
    for path, digest in zip(member.files, member.digests, strict=True):
        data = resolve_in_book(project.spec.root, path).read_bytes()
        picture = encode_png(decode_image(data, what=path))
        found.append(CastPicture(path, "your reference", "file", own(digest, picture)))
    return tuple(found)
