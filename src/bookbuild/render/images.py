"""Images prepared for print: scaled down to the placed size at 300 DPI at most, JPEG when
opaque, PNG when transparency matters. Pure functions on bytes; deterministic output."""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from pathlib import Path
from typing import cast

from PIL import Image, ImageCms

from ..errors import RenderError
from .derived import EncodedImage
from .ink import limit_ink

PRINT_DPI = 300
JPEG_QUALITY = 88
MAX_PIXELS = 80_000_000
FORMATS = ("PNG", "JPEG", "WEBP")


def max_pixels(width_in: float, height_in: float, dpi: int = PRINT_DPI) -> tuple[int, int]:
    """The most pixels an image placed in a box of that size needs."""
    return max(1, round(width_in * dpi)), max(1, round(height_in * dpi))


def open_image(data: bytes, what: str = "image") -> Image.Image:
    """Open PNG/JPEG/WebP bytes, refusing other formats and decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise RenderError(f"{what}: {image.width}x{image.height} pixels is too large")
            image.load()
    except (OSError, ValueError, Image.DecompressionBombWarning) as exc:
        raise RenderError(f"{what}: cannot read the image: {exc}") from exc
    return image


INK_HEADROOM = 10  # percent of total ink kept free under the printer's limit
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian libgs-common


def cmyk_profile() -> bytes:
    """The CMYK ICC profile of print targets (the PDF/X output intent and image conversion)."""
    try:
        return CMYK_PROFILE.read_bytes()
    except OSError as exc:
        raise RenderError(
            f"print target: the CMYK profile {CMYK_PROFILE} is missing; install Debian's "
            "libgs-common (scripts/setup.sh does)"
        ) from exc


def prepare_for_print(
    data: bytes,
    box: tuple[int, int],
    what: str = "image",
    cmyk: bool = False,
    ink_limit: int = 300,
) -> EncodedImage:
    """Fit the image inside `box` pixels (never enlarging) and encode it for print; `cmyk`
    converts it to CMYK (flattened on white) through the print profile, with its total ink
    kept within `ink_limit` percent, as a JPEG."""
    image = open_image(data, what)
    image = _fit(image, box)
    if cmyk:
        # 10 points under the limit: JPEG ringing adds a few percent at sharp edges
        return _encode(limit_ink(_to_cmyk(image), ink_limit - INK_HEADROOM), "jpg")
    if has_alpha(image):
        return _encode(image.convert("RGBA"), "png")
    return _encode(image.convert("RGB"), "jpg")


def _to_cmyk(image: Image.Image) -> Image.Image:
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image.convert("RGBA"))
    srgb = ImageCms.createProfile("sRGB")
    target = ImageCms.ImageCmsProfile(io.BytesIO(cmyk_profile()))
    converted = ImageCms.profileToProfile(flat.convert("RGB"), srgb, target, outputMode="CMYK")
    if converted is None:
        raise RenderError("CMYK conversion returned no image")
    return converted


@lru_cache(maxsize=256)
def edge_color(data: bytes) -> str:
    """'#rrggbb': the mean colour of the image's outermost pixels (transparency on white),
    to fill the page around a picture that is contained rather than cropped."""
    image = open_image(data).convert("RGBA")
    image.thumbnail((64, 64))
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image)
    rgb = flat.convert("RGB")
    width, height = rgb.size
    ring = {(x, y) for x in range(width) for y in (0, height - 1)}
    ring |= {(x, y) for y in range(height) for x in (0, width - 1)}
    pixels = [cast(tuple[int, int, int], rgb.getpixel(xy)) for xy in sorted(ring)]
    mean = [round(sum(p[i] for p in pixels) / len(pixels)) for i in range(3)]
    return "#" + "".join(f"{v:02x}" for v in mean)


def has_alpha(image: Image.Image) -> bool:
    """True when some pixel is not fully opaque."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        low, _ = cast(tuple[int, int], alpha.getextrema())
        return low < 255
    return False


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(box[0] / image.width, box[1] / image.height)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, ext: str) -> EncodedImage:
    out = io.BytesIO()
    if ext == "jpg":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, subsampling="4:2:0")
    else:
        image.save(out, "PNG", optimize=False, compress_level=9)
    return EncodedImage(out.getvalue(), ext, image.width, image.height)
