"""What every back end shares about a picture's cast: which characters' references to send, a
side-by-side cast sheet for back ends that take one reference picture only, the per-character
LoRAs, and the record of what was sent (`metadata["references"]`).

Each back end sends references through its own mechanism (see docs/references.md); this module
only holds the parts that are the same everywhere, so that a back end never drops a reference
silently: what it sent, and how, is always written into the result's metadata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import CharacterRef, ImageRequest
from bookbuild.spec.presets import Lora

REFERENCE_OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "controlnet", "replace"})
"""Ops that draw something new, so a character's reference can steer them. Upscale, background
removal and erase only keep what is there: they send no reference."""

SHEET_HEIGHT = 512
"""Height of a cast sheet: each reference is scaled to it and they are set side by side."""


def with_references(request: ImageRequest) -> tuple[CharacterRef, ...]:
    """The characters of `request` that have reference pictures, when its op draws."""
    if request.op not in REFERENCE_OPS:
        return ()
    return tuple(character for character in request.characters if character.images)


def character_loras(request: ImageRequest) -> list[Lora]:
    """The LoRAs of the characters `request` shows (in prompt order), when its op draws."""
    if request.op not in REFERENCE_OPS:
        return []
    return [character.lora for character in request.characters if character.lora is not None]


def all_loras(own: Lora | list[Lora] | None, request: ImageRequest) -> list[Lora]:
    """The preset's LoRA(s) and then the characters' (a LoRA named twice is sent once)."""
    loras = [] if own is None else own if isinstance(own, list) else [own]
    seen = {lora.model for lora in loras}
    for lora in character_loras(request):
        if lora.model not in seen:
            loras.append(lora)
            seen.add(lora.model)
    return loras


def digest(png: bytes) -> str:
    """A short name of a picture's bytes, for metadata (`sha256:` and 16 hex digits)."""
    return "sha256:" + hashlib.sha256(png).hexdigest()[:16]


def cast_sheet(pictures: Sequence[bytes], height: int = SHEET_HEIGHT) -> bytes:
    """The pictures side by side, each scaled to `height` (aspect kept), on white: one picture
    for a back end that takes a single reference. One picture is returned as it is."""
    if len(pictures) == 1:
        return pictures[0]
    from PIL import Image

    scaled = []
    for number, data in enumerate(pictures, 1):
        picture = decode_image(data, what=f"reference picture {number}").convert("RGB")
        width = max(1, round(picture.width * height / picture.height))
        scaled.append(picture.resize((width, height), Image.Resampling.LANCZOS))
    sheet = Image.new("RGB", (sum(p.width for p in scaled), height), (255, 255, 255))
    left = 0
    for picture in scaled:
        sheet.paste(picture, (left, 0))
        left += picture.width
    return encode_png(sheet)


@dataclass(frozen=True)
class Sent:
    """What a back end sent for one character: through which field, which pictures."""

    character: str
    via: str
    images: tuple[bytes, ...]
    weight: float | None = None

    def record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "character": self.character,
            "via": self.via,
            "images": [digest(image) for image in self.images],
        }
        if self.weight is not None:
            entry["weight"] = self.weight
        return entry


def sheet_of(characters: Sequence[CharacterRef]) -> bytes:
    """One cast sheet of the first reference of each character (see `sheet_notes`)."""
    return cast_sheet([character.images[0] for character in characters])


def sheet_notes(characters: Sequence[CharacterRef]) -> list[str]:
    """What a back end that takes one picture says it sent (`sheet_of`)."""
    notes = []
    if len(characters) > 1:
        ids = ", ".join(character.id for character in characters)
        notes.append(f"one reference picture only: a cast sheet of {ids}, side by side")
    return notes + first_only_notes(characters)


def first_only_notes(characters: Sequence[CharacterRef]) -> list[str]:
    """Notes for the characters of which only the first reference picture was sent."""
    return [
        f"{character.id}: the first of its {len(character.images)} reference pictures was sent"
        for character in characters
        if len(character.images) > 1
    ]


def references_metadata(sent: Iterable[Sent], notes: Iterable[str] = ()) -> dict[str, Any]:
    """`{"references": [...], "reference_notes": [...]}` for a result's metadata (empty when
    nothing was sent and there is nothing to say)."""
    entries = [item.record() for item in sent]
    said = list(notes)
    info: dict[str, Any] = {}
    if entries:
        info["references"] = entries
    if said:
        info["reference_notes"] = said
    return info


def loras_metadata(request: ImageRequest) -> dict[str, Any]:
    """`{"character_loras": {id: model}}` for a result's metadata (empty without any)."""
    if request.op not in REFERENCE_OPS:
        return {}
    loras = {c.id: c.lora.model for c in request.characters if c.lora is not None}
    return {"character_loras": loras} if loras else {}
