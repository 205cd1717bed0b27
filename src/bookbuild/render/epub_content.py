"""What goes inside an EPUB besides markup: XML-safe text and images sized for e-readers.

Model output is data: every string that reaches the package passes through `xml_text`, which
drops the characters XML 1.0 cannot hold (the templates then escape it).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bookbuild.errors import RenderError
from bookbuild.hashing import key_of
from bookbuild.render import derived
from bookbuild.render.view import IllustrationView

MAX_SIDE = 1600  # longest side of an image in the EPUB, in pixels
JPEG_QUALITY = 88
_FORMAT = 1  # bump when epub_image's output changes for the same picture

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


def epub_image(illustration: IllustrationView, cache: Path | None = None) -> EpubImage:
    """The picture as packaged: from the `cache` folder when it was made before (the key: its
    digest and the encoder's settings), else decoded, downscaled and re-encoded (PNG when the
    image has transparency, JPEG otherwise) and kept there."""
    hex_digest = digest_hex(illustration)
    key = key_of({"format": _FORMAT, "image": hex_digest, "side": MAX_SIDE, "q": JPEG_QUALITY})
    found = derived.load(cache, key)
    if found is None:
        found = _encoded(illustration)
        derived.store(cache, key, found)
    return EpubImage(
        item_id=f"img-{hex_digest[:16]}",
        href=f"images/{hex_digest}.{found.ext}",
        media_type=found.media_type,
        data=found.data,
        width=found.width,
        height=found.height,
    )


def _encoded(illustration: IllustrationView) -> derived.EncodedImage:
    image = _decode(illustration)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        extension = "jpg"
    return derived.EncodedImage(buffer.getvalue(), extension, image.width, image.height)


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
