"""Pictures sized for the board: WebP thumbnails cached by digest and width under
.bookbuild/thumbs/, and picture sizes read from the PNG header (no full decode)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bookbuild.fsutil import atomic_write_bytes
from bookbuild.media.images import decode_image
from bookbuild.project import Project
from bookbuild.store.objects import check_digest

WIDTHS = (160, 320, 640, 1280)
QUALITY = 82


def thumb_width(requested: int) -> int:
    """The cached width serving `requested` CSS pixels: the smallest one at least as wide."""
    return next((w for w in WIDTHS if w >= requested), WIDTHS[-1])


def thumb_path(project: Project, digest: str, width: int) -> Path:
    hex_part = check_digest(digest)
    return project.root / ".bookbuild" / "thumbs" / hex_part[:2] / f"{hex_part}-{width}.webp"


def thumbnail(project: Project, digest: str, width: int) -> bytes:
    """The picture `digest` at most `width` pixels wide (never enlarged), as WebP; made once.
    KeyError when the store has no such picture."""
    width = thumb_width(width)
    cached = thumb_path(project, digest, width)
    if cached.is_file():
        return cached.read_bytes()
    image = decode_image(project.store.get(digest), what="a stored picture")
    if image.width > width:
        image = image.resize(
            (width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS
        )
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY, method=4)
    data = out.getvalue()
    atomic_write_bytes(cached, data)
    return data


_SIZES: dict[str, tuple[int, int]] = {}  # digest -> size: a digest's picture never changes


def picture_size(project: Project, digest: str | None) -> tuple[int, int] | None:
    """(width, height) of a stored picture from its header; None if absent or unreadable."""
    if digest is None:
        return None
    if digest in _SIZES:
        return _SIZES[digest]
    try:
        with Image.open(project.store.path(digest)) as image:
            _SIZES[digest] = image.size
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
