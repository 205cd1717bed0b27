"""Bringing a service's picture to what the author asked for, for back ends that answer at
their own sizes or repaint more than the mask: scale-and-crop to an exact size, and put the
author's pixels back where an edit was not meant to change anything."""

from __future__ import annotations

from PIL import Image, ImageOps


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled to cover `size` and centre-cropped to it (no distortion, no borders)."""
    if image.size == size:
        return image
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


def resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` at exactly `size` (for answers that keep the input's aspect)."""
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)


def keep_unmasked(result: Image.Image, original: Image.Image, mask: Image.Image) -> Image.Image:
    """The result where `mask` is white (255 = repaint), the original elsewhere; greys blend.
    `mask` is bookbuild's L mask at the original's size."""
    mode = "RGBA" if "A" in result.getbands() or "A" in original.getbands() else "RGB"
    edited = resized(result.convert(mode), original.size)
    return Image.composite(edited, original.convert(mode), mask.convert("L"))


def paste_original(result: Image.Image, original: Image.Image, at: tuple[int, int]) -> Image.Image:
    """The grown canvas `result` with `original` put back exactly at `at` (outpaint)."""
    canvas = result.convert("RGBA" if original.mode == "RGBA" else "RGB")
    canvas.paste(original.convert(canvas.mode), at)
    return canvas
