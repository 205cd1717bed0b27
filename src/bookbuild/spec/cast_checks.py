"""Checks of the cast (`characters:`) and the art style (`style.art`), each at its position:
descriptions that say nothing, reference files that are missing, outside the book or not
pictures, character sheets without an image preset, and unknown ids in an illustration's
`characters:` or in a prompt's `{id}` placeholders (with a did-you-mean)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Literal, Protocol

from bookbuild.spec.base import placeholders
from bookbuild.spec.models import Book, Character, Illustration
from bookbuild.spec.positions import Loc
from bookbuild.spec.presets import Preset

CAST_CHAPTER = "cast"


class _Checker(Protocol):
    """What these checks use of validate's checker."""

    book: Book

    @property
    def presets(self) -> Mapping[str, Preset]: ...

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None: ...

    def file(self, loc: Loc, relative: str, kind: Literal["image", "text", "css"]) -> bool: ...

    def reference(self, loc: Loc, name: str | None) -> None: ...

    def capable(self, loc: Loc, name: str, need: str, via: str = "") -> None: ...


def check_cast(checker: _Checker) -> None:
    book = checker.book
    art = book.style.art
    if art is not None:
        refs = [art.reference] if isinstance(art.reference, str) else list(art.reference or [])
        for k, path in enumerate(refs):
            at: Loc = ("style", "art", "reference")
            checker.file(at if isinstance(art.reference, str) else (*at, k), path, "image")
        if not (art.description or "").strip() and not refs:
            checker.add(("style", "art"), "style.art needs a `description` or a `reference`")
    for cid, character in book.characters.items():
        _check_character(checker, cid, character)
    if any(c.reference and c.reference.generated for c in book.characters.values()):
        for i, chapter in enumerate(book.chapters):
            if chapter.id == CAST_CHAPTER:
                checker.add(
                    ("chapters", i, "id"),
                    "the chapter id `cast` is reserved for the character sheets; rename it",
                )
    for loc, ill in _illustrations(book):
        _check_picture(checker, loc, ill)


def _check_character(checker: _Checker, cid: str, character: Character) -> None:
    loc: Loc = ("characters", cid)
    if not character.description.strip():
        checker.add(
            (*loc, "description"),
            f"character `{cid}` has an empty description: say what it looks like, in one "
            "phrase (it goes verbatim into every picture that shows it)",
        )
    ref = character.reference
    if ref is None:
        return
    if not ref.generated:
        for k, path in enumerate(ref.files):
            at: Loc = (*loc, "reference", "file")
            checker.file(at if isinstance(ref.file, str) else (*at, k), path, "image")
        return
    checker.reference((*loc, "reference", "model"), ref.model)
    image = ref.model or checker.book.defaults.image
    if image is None:
        checker.add(
            (*loc, "reference"),
            f"character `{cid}` has a generated reference but no image preset to draw it: "
            "set `model: <preset>` on the reference or `defaults: {image: <preset>}`",
        )
    elif image in checker.presets:
        via = "" if ref.model else " (from `defaults.image`)"
        checker.capable((*loc, "reference"), image, "txt2img", via)
    if ref.prompt is not None:
        _placeholders(checker, (*loc, "reference", "prompt"), ref.prompt)


def _check_picture(checker: _Checker, loc: Loc, ill: Illustration) -> None:
    known = checker.book.characters
    for k, cid in enumerate(ill.characters or ()):
        if cid not in known:
            checker.add((*loc, "characters", k), _unknown(cid, known))
    if ill.characters is not None and not known:
        checker.add((*loc, "characters"), "`characters:` names the cast, but the book has none")
    if known and ill.prompt is not None:
        _placeholders(checker, (*loc, "prompt"), ill.prompt)
    for k, edit in enumerate(ill.edits):
        prompt = getattr(edit.params, "prompt", None)
        if known and isinstance(prompt, str):
            _placeholders(checker, (*loc, "edits", k, edit.op, "prompt"), prompt)


def _placeholders(checker: _Checker, loc: Loc, text: str) -> None:
    for cid in placeholders(text):
        if cid not in checker.book.characters:
            checker.add(loc, f"`{{{cid}}}`: " + _unknown(cid, checker.book.characters))


def _unknown(cid: str, known: dict[str, Character]) -> str:
    close = difflib.get_close_matches(cid, list(known), n=1, cutoff=0.5)
    if close:
        return f"unknown character `{cid}` — did you mean `{close[0]}`?"
    if known:
        return f"unknown character `{cid}`; the cast (`characters:`): {', '.join(known)}"
    return f"unknown character `{cid}`: define it under `characters:`"


def _illustrations(book: Book) -> Iterator[tuple[Loc, Illustration]]:
    if book.cover is not None:
        yield ("cover",), book.cover
    for i, chapter in enumerate(book.chapters):
        for j, ill in enumerate(chapter.illustrations):
            yield ("chapters", i, "illustrations", j), ill
