"""The draft PNG: lossless, deterministic, and about twice as fast to encode (and a fifth
faster to decode) as `images.encode_png`, for pictures nobody pays for.

Pillow's PNG encoder tries every PNG filter on every row and keeps the best (adaptive
filtering); at zlib level 1 that choice is half of its time. Here every row gets the "Up"
filter (each byte minus the byte above it), computed for the whole picture in one C call
(`ImageChops.subtract_modulo` against the picture moved down a row), and zlib level 1 packs
it: on the offline provider's paintings the file is also about 7% smaller.

The pixels decode exactly as `encode_png`'s would (same mode, same values); the bytes differ.
Only the offline provider uses it: its results are free and made again at will, whereas a
result normalised by `encode_png` may be an input whose digest is in a paid step's key.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image, ImageChops

from bookbuild.media.images import encode_png

ZLIB_LEVEL = 1
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {"RGB": 2, "RGBA": 6}  # PNG colour types of the modes drawn here
_UP = b"\x02"  # the PNG filter type byte of a row filtered with "Up"


def encode_draft_png(image: Image.Image) -> bytes:
    """PNG bytes of `image` (no metadata, every row Up-filtered, zlib level 1); a picture in a
    mode other than RGB or RGBA, or with a transparent colour, is encoded by `encode_png`."""
    colour_type = _COLOUR_TYPES.get(image.mode)
    if colour_type is None or "transparency" in image.info or min(image.size) < 1:
        return encode_png(image)
    width, height = image.size
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(_up_filtered_rows(image), ZLIB_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


def _up_filtered_rows(image: Image.Image) -> bytes:
    """The image's scanlines, each as the Up filter's byte and its residuals (the first row's
    prior row is all zeros, so its residuals are its own bytes)."""
    above = Image.new(image.mode, image.size)
    above.paste(image.crop((0, 0, image.width, image.height - 1)), (0, 1))
    residuals = ImageChops.subtract_modulo(image, above).tobytes()
    stride = image.width * len(image.getbands())
    return b"".join(
        _UP + residuals[start : start + stride] for start in range(0, len(residuals), stride)
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
