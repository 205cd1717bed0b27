"""Image bytes in and out, safely and reproducibly.

Every image bookbuild reads (user art, masks, provider inputs) goes through `decode_image`:
PNG, JPEG and WebP only, with a pixel budget checked before any pixel is decoded, so a small
file that claims to be enormous (a decompression bomb) is refused with a clear error.
Every PNG bookbuild writes goes through `encode_png`: no metadata, no timestamps, a fixed
compression level, so the same pixels always give the same bytes.
"""

from __future__ import annotations

import threading
import warnings
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps

from bookbuild.errors import ImageDecodeError

ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP")
MAX_PIXELS = 8192 * 8192
"""Largest image bookbuild decodes or makes (below Pillow's own bomb limit)."""
PNG_COMPRESS_LEVEL = 1
"""zlib level of every PNG bookbuild writes (store objects, HTML assets). Level 1 encodes a
768x768 painting about 4.7x faster than level 6 for files about 29% larger (measured on the
benchmark's pictures, README "Speed"); PDF and EPUB images are encoded separately for print."""

_OPEN_LOCK = threading.Lock()  # `warnings.catch_warnings` is process-wide; keep it short


def decode_image(data: bytes, *, what: str = "image") -> Image.Image:
    """Decode PNG/JPEG/WebP bytes into a loaded image, upright (EXIF orientation applied).

    `what` names the image in error messages (e.g. a file path or a step id).
    """
    image = _open_checked(data, what)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"{what}: the image data is truncated or corrupt ({exc})") from exc
    if image.format == "JPEG" or "exif" in image.info:
        transposed = ImageOps.exif_transpose(image)
        if transposed is not None:
            image = transposed
    return image


def read_image(path: Path, *, what: str | None = None) -> Image.Image:
    """Read and decode an image file (see `decode_image`)."""
    label = what or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageDecodeError(f"{label}: cannot read the file ({exc.strerror})") from exc
    return decode_image(data, what=label)


def image_size(data: bytes, *, what: str = "image") -> tuple[int, int]:
    """(width, height) of encoded image bytes, reading only the header."""
    return _open_checked(data, what).size


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of `image` without any metadata: same pixels -> same bytes."""
    clean = _plain_copy(image)
    buffer = BytesIO()
    clean.save(buffer, format="PNG", optimize=False, compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def check_pixels(size: tuple[int, int], *, what: str = "image") -> None:
    """Refuse a size whose pixel count is over MAX_PIXELS (or that is empty)."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"{what}: the image is empty ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageDecodeError(
            f"{what}: {width}x{height} pixels is too large (at most {MAX_PIXELS:,} pixels); "
            "this may be a decompression bomb — use a smaller image"
        )


def flatten(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """An RGB copy of `image`, transparent parts laid over `background`."""
    rgba = image.convert("RGBA")
    base = Image.new("RGB", image.size, background)
    base.paste(rgba, mask=rgba.getchannel("A"))
    return base


def _open_checked(data: bytes, what: str) -> Image.Image:
    try:
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=list(ALLOWED_FORMATS))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageDecodeError(
            f"{what}: the image claims too many pixels to decode safely ({exc}); "
            "this may be a decompression bomb — use a smaller image"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        allowed = ", ".join(ALLOWED_FORMATS)
        raise ImageDecodeError(f"{what}: not a readable image (expected {allowed})") from exc
    check_pixels(image.size, what=what)
    return image


def _plain_copy(image: Image.Image) -> Image.Image:
    """The pixels of `image` in a PNG-friendly mode, with no info dict at all."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode in ("L", "RGB") and not has_alpha:
        mode = image.mode
    elif image.mode in ("L", "LA", "1") or (image.mode == "P" and _grey_palette(image)):
        mode = "LA" if has_alpha else "L"
    else:
        mode = "RGBA" if has_alpha else "RGB"
    converted = image if image.mode == mode else image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _grey_palette(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    triples = zip(palette[0::3], palette[1::3], palette[2::3], strict=False)
    return all(r == g == b for r, g, b in triples)
