"""Cover art made across the whole wrap (`cover: {shape: wrap}`) shown where only the front
is: the EPUB's cover and the HTML site's front cover take the picture's right half."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from functools import lru_cache

from PIL import Image

from .view import BookView


@lru_cache(maxsize=8)
def right_half(data: bytes) -> tuple[bytes, int, int]:
    """The PNG of the right half of a picture, with its width and height."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        half = opened.crop((opened.width // 2, 0, opened.width, opened.height))
    out = io.BytesIO()
    half.save(out, "PNG")
    return out.getvalue(), half.width, half.height


def front_of_wrap(view: BookView) -> BookView:
    """The view whose cover is the front half of art made across the wrap (else unchanged)."""
    if view.cover is None or view.style.cover_shape != "wrap":
        return view
    data, width, height = right_half(view.cover.image)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    cover = replace(view.cover, image=data, width=width, height=height, digest=digest)
    return replace(view, cover=cover)
