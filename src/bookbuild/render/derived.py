"""Derived images kept between builds (print images, EPUB images): each a file in a cache
folder named by a key of everything that decides its bytes, written whole (a temporary file
and a rename). A missing or unreadable entry is made again by its caller, so a cache folder may
be deleted at any time, and one that cannot be written only costs time."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..fsutil import replace_file

EXTENSIONS = ("jpg", "png")


@dataclass(frozen=True)
class EncodedImage:
    """An image's file bytes as a book packs them (print or EPUB), with its size."""

    data: bytes
    ext: str  # "jpg" or "png"
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return "image/jpeg" if self.ext == "jpg" else "image/png"


def load(cache: Path | None, key: str) -> EncodedImage | None:
    """The entry kept under `key`, or None (no cache, no entry, or not an image)."""
    if cache is None:
        return None
    for ext in EXTENSIONS:
        try:
            data = (cache / f"{key}.{ext}").read_bytes()
        except OSError:
            continue
        size = _size(data)
        if size is not None:
            return EncodedImage(data, ext, *size)
    return None


def store(cache: Path | None, key: str, image: EncodedImage) -> None:
    """Keep `image` under `key` (nothing when there is no cache or it cannot be written)."""
    if cache is None:
        return
    with contextlib.suppress(OSError):
        replace_file(cache / f"{key}.{image.ext}", image.data)


def _size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header; None when it is not a JPEG or PNG. Entries are
    written whole, so the header is enough."""
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
            return image.width, image.height
    except (OSError, ValueError):
        return None
