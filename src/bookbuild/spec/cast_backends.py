"""What each picture's back end can do with its cast, from the spec alone: every illustration
(and character sheet) asks its image preset's provider (`ProviderInfo.cast_problems`) about the
characters it shows, their references and LoRAs, and the art style's reference.

Errors stop `validate` and `make` (a ModelsLab preset without IP-Adapter, a diffusers preset
without `ip_adapter:`); warnings say a reference will not be used (Stability has no character
reference) and are errors only under `validate --strict`. The cast of a `describe:` picture
without `characters:` is only known once its prompt is written, so what its back end cannot
send for a character who may appear is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bookbuild.spec.base import placeholders
from bookbuild.spec.catalog import CastNeeds, ProviderInfo
from bookbuild.spec.models import Book, Illustration
from bookbuild.spec.positions import Loc
from bookbuild.spec.presets import Preset


@dataclass(frozen=True)
class CastIssue:
    severity: str  # "error" or "warning"
    loc: Loc
    message: str


@dataclass(frozen=True)
class _Picture:
    loc: Loc
    preset: str | None
    op: str
    shown: tuple[str, ...]
    maybe: bool  # a describe: picture whose cast is not known yet


def cast_issues(
    book: Book, presets: Mapping[str, Preset], providers: Mapping[str, ProviderInfo | None]
) -> list[CastIssue]:
    """What the back ends say about every picture's cast (empty for a book without one)."""
    if not book.characters and not _style_reference(book):
        return []
    found = []
    for picture in _pictures(book):
        preset = presets.get(picture.preset or "")
        cls = providers.get(preset.provider) if preset else None
        if preset is None or cls is None:
            continue  # reported by validate already
        needs = _needs(book, picture.shown)
        for severity, message in cls.cast_problems(preset, picture.op, needs):
            if picture.maybe and severity == "error":
                severity = "warning"
                message = f"if its describe: step puts them in the picture, {message}"
            found.append(
                CastIssue(
                    severity,
                    picture.loc,
                    f"preset `{picture.preset}` ({preset.provider}): {message}",
                )
            )
    return found


def _needs(book: Book, shown: tuple[str, ...]) -> CastNeeds:
    cast = book.characters
    known = [cid for cid in shown if cid in cast]
    return CastNeeds(
        characters=tuple(known),
        references=tuple(cid for cid in known if cast[cid].reference is not None),
        loras=tuple(cid for cid in known if cast[cid].lora is not None),
        style_reference=_style_reference(book),
    )


def _style_reference(book: Book) -> bool:
    art = book.style.art
    return art is not None and bool(art.reference)


def _pictures(book: Book) -> Iterator[_Picture]:
    default = book.defaults.image
    for cid, character in book.characters.items():
        ref = character.reference
        if ref is not None and ref.generated:  # the sheet shows the character, no reference
            yield _Picture(
                ("characters", cid, "reference"), ref.model or default, "txt2img", (), False
            )
    if book.cover is not None:
        yield _illustration(book, ("cover",), book.cover)
    for i, chapter in enumerate(book.chapters):
        for j, ill in enumerate(chapter.illustrations):
            yield _illustration(book, ("chapters", i, "illustrations", j), ill)


def _illustration(book: Book, loc: Loc, ill: Illustration) -> _Picture:
    op = "controlnet" if ill.controlnet else "img2img" if ill.init_image else "txt2img"
    preset = ill.model or book.defaults.image
    if ill.characters is not None:
        return _Picture(loc, preset, op, tuple(ill.characters), False)
    if ill.prompt is not None:
        return _Picture(loc, preset, op, tuple(placeholders(ill.prompt)), False)
    maybe = ill.describe is not None
    return _Picture(loc, preset, op, tuple(book.characters) if maybe else (), maybe)
