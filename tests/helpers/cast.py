"""A two-character cast for the reference tests of every back end: each character's reference
is a solid picture of its own colour (and size), so a test can tell which picture reached
which field, and find it again in what a fake drew."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from PIL import Image

from bookbuild.providers.base import CharacterRef, ImageRequest


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


HARE_RGB, TORTOISE_RGB, STYLE_RGB = (220, 30, 30), (30, 30, 220), (30, 200, 40)
RED, BLUE, GREEN = solid(HARE_RGB), solid(TORTOISE_RGB, (48, 64)), solid(STYLE_RGB)
HARE = CharacterRef("hare", "Hare", "a white hare", images=(RED,), weight=0.7)
TORTOISE = CharacterRef("tortoise", "Tortoise", "an old tortoise", images=(BLUE,), weight=0.5)


def cast_request(*characters: CharacterRef, op: str = "txt2img", **fields: Any) -> ImageRequest:
    """A picture showing `characters` (in prompt order)."""
    fields.setdefault("prompt", "a race at dawn")
    return ImageRequest(step_id="race/start/image", op=op, characters=characters, **fields)  # type: ignore[arg-type]


def picture(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data)).convert("RGB")
