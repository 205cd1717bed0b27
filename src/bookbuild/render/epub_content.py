"""What goes inside an EPUB besides markup: XML-safe text and images sized for e-readers.

Model output is data: every string that reaches the package passes through `xml_text`, which
drops the characters XML 1.0 cannot hold (the templates then escape it).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image

from bookbuild.errors import RenderError
from bookbuild.render.view import IllustrationView

MAX_SIDE = 1600  # longest side of an image in the EPUB, in pixels
JPEG_QUALITY = 88

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEX_DIGEST = re.compile(r"(?:sha256:)?([0-9a-f]{16,128})")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (control characters, lone surrogates)."""
    return _XML_INVALID.sub("", text)


@dataclass(frozen=True)
class EpubImage:
    """An image as packaged: re-encoded, at most MAX_SIDE pixels on its longest side."""

    item_id: str  # manifest id
    href: str  # path relative to the OPF folder, e.g. "images/<hex>.jpg"
    media_type: str
    data: bytes
    width: int
    height: int


def digest_hex(illustration: IllustrationView) -> str:
    """The hex part of the illustration's store digest (names the image file)."""
    match = _HEX_DIGEST.fullmatch(illustration.digest.strip().lower())
    if match is None:
        raise RenderError(
            f"illustration {illustration.id!r}: digest {illustration.digest!r} is not "
            "'sha256:<hex>'"
        )
    return match.group(1)


def epub_image(illustration: IllustrationView) -> EpubImage:
    """Decode, downscale and re-encode: PNG when the image has transparency, JPEG otherwise."""
    image = _decode(illustration)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", optimize=True)
        extension, media_type = "png", "image/png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        extension, media_type = "jpg", "image/jpeg"
    hex_digest = digest_hex(illustration)
    return EpubImage(
        item_id=f"img-{hex_digest[:16]}",
        href=f"images/{hex_digest}.{extension}",
        media_type=media_type,
        data=buffer.getvalue(),
        width=image.width,
        height=image.height,
    )


def _decode(illustration: IllustrationView) -> Image.Image:
    """The image in RGBA (if any pixel is not opaque), L (grey) or RGB."""
    try:
        with Image.open(io.BytesIO(illustration.image)) as opened:
            opened.load()
            image = opened.copy()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RenderError(
            f"illustration {illustration.id!r}: its image cannot be read ({exc}); "
            "rebuild the step or check the store"
        ) from exc
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        lowest, _ = rgba.getchannel("A").getextrema()
        if isinstance(lowest, int) and lowest < 255:
            return rgba
    if image.mode == "L":
        return image
    return image.convert("RGB")
