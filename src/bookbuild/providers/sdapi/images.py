"""Images in and out of the Stable Diffusion API: data URLs for uploads, masks in the service's
convention, and checks of what comes back (format, size, decompression bombs, blanked output)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from PIL import Image

from bookbuild.errors import ImageDecodeError, ProviderError
from bookbuild.media.images import decode_image, encode_png

BLANK_MAX_VALUE = 8
"""An image whose brightest channel value is at most this is "all black"."""
SAFETY_ADVICE = "the safety checker blanked the image: change the prompt or the seed"

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"WEBP", 8, "WEBP"),
)


def data_url(png: bytes) -> str:
    """`data:image/png;base64,...`, what the upload endpoints take."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def read_input(png: bytes, what: str) -> Image.Image:
    """Decode an input image given by the engine (already PNG, but checked all the same)."""
    try:
        return decode_image(png, what=what)
    except ImageDecodeError as exc:
        message = exc.args[0] if exc.args else f"{what}: not a readable image"
        raise ProviderError(str(message), provider="sdapi") from None


def mask_png(mask: bytes, size: tuple[int, int]) -> bytes:
    """The mask as an 8-bit greyscale PNG of `size`: white = repaint, which is both the spec's
    convention and the service's, so no inversion, only a resize if the sizes differ."""
    image = read_input(mask, "mask")
    if image.mode == "L" and image.size == size:
        return mask  # the engine's mask is already that: same bytes, same upload
    image = image.convert("L")
    if image.size != size:
        image = image.resize(size, Image.Resampling.NEAREST)
    return encode_png(image)


def sniff_format(data: bytes) -> str | None:
    """PNG, JPEG or WEBP from the magic bytes; None for anything else."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if name == "WEBP" and not data.startswith(b"RIFF"):
                continue
            return name
    return None


def file_bytes(data: bytes, url: str) -> bytes:
    """The image file a downloaded link holds: a `.base64` link holds base64 text."""
    return _from_base64(data) if urlsplit(url).path.endswith(".base64") else data


def decode_output(data: bytes, url: str) -> Image.Image:
    """The downloaded result as a decoded image; a `.base64` link holds base64 text."""
    data = file_bytes(data, url)
    if sniff_format(data) is None:
        raise ProviderError(
            "the service sent something that is not a PNG, JPEG or WebP image", provider="sdapi"
        )
    try:
        return decode_image(data, what="the service's image")
    except ImageDecodeError as exc:
        message = exc.args[0] if exc.args else "the service's image is unreadable"
        raise ProviderError(str(message), provider="sdapi") from None


def is_blank(image: Image.Image) -> bool:
    """True for an all-black picture (what the safety checker returns instead of NSFW art)."""
    extrema = image.convert("RGB").getextrema()
    return max(high for _, high in extrema) <= BLANK_MAX_VALUE  # type: ignore[misc]


def _from_base64(data: bytes) -> bytes:
    text = data.strip()
    if text.startswith(b"data:"):
        text = text.partition(b",")[2]
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        raise ProviderError(
            "the service's base64 image could not be decoded", provider="sdapi"
        ) from None
