"""Every offline picture says it is a draft: a red DRAFT badge (and a frame on opaque pictures)
drawn over the result of every op, checked on pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import ImageOp, ImageRequest
from bookbuild.providers.offline.draftmark import BADGE_RGB, INK_RGB, mark_draft
from bookbuild.providers.offline.provider import OfflineProvider
from bookbuild.providers.registry import make_preset
from bookbuild.spec.masks import mask_png, render_mask
from bookbuild.spec.models import MaskShape


def _run(op: ImageOp, **fields: Any) -> Image.Image:
    provider = OfflineProvider(make_preset(provider="offline"), {})
    result = provider.run_image(ImageRequest(step_id="ch/ill/image", op=op, **fields))
    return decode_image(result.png)


def _badge_pixels(image: Image.Image) -> tuple[int, int]:
    """(badge red pixels, white ink pixels) in the top-right quarter."""
    width, height = image.size
    corner = image.convert("RGB").crop((width // 2, 0, width, height // 2))
    colours = corner.getcolors(corner.width * corner.height) or []
    red = sum(n for n, c in colours if c == BADGE_RGB)
    ink = sum(n for n, c in colours if c == INK_RGB)
    return red, ink


def _assert_marked(image: Image.Image) -> None:
    red, ink = _badge_pixels(image)
    short = min(image.size)
    assert red > (short // 12) ** 2  # a badge, not a speck
    assert ink > (short // 12) ** 2 // 8  # with its lettering


BASE = encode_png(Image.new("RGB", (256, 192), (90, 140, 200)))
MASK = mask_png(render_mask(MaskShape(rect=(0.1, 0.5, 0.4, 0.9)), (256, 192), Path(".")))


@pytest.mark.parametrize(
    ("op", "fields"),
    [
        ("txt2img", {"prompt": "a snail on a hill", "width": 320, "height": 240, "seed": 3}),
        ("img2img", {"prompt": "a snail", "image": BASE, "width": 256, "height": 192}),
        ("inpaint", {"prompt": "a hat", "image": BASE, "mask": MASK}),
        ("outpaint", {"prompt": "", "image": BASE, "params": {"left": 64}}),
        ("upscale", {"image": BASE, "params": {"scale": 2}}),
        ("remove_background", {"image": BASE}),
        ("erase", {"image": BASE, "mask": MASK}),
    ],
)
def test_every_offline_op_marks_its_picture_as_a_draft(op: ImageOp, fields: dict[str, Any]) -> None:
    _assert_marked(_run(op, **fields))


def test_the_mark_is_opaque_on_a_cut_out() -> None:
    image = mark_draft(Image.new("RGBA", (200, 200), (0, 0, 0, 0)))
    assert image.mode == "RGBA"
    _assert_marked(image)
    assert image.getpixel((0, 199))[3] == 0  # no frame: the cut-out stays cut out


def test_marking_twice_gives_the_same_pixels() -> None:
    once = mark_draft(decode_image(BASE))
    assert mark_draft(once).tobytes() == once.tobytes()


def test_an_opaque_draft_has_a_frame() -> None:
    image = mark_draft(Image.new("RGB", (300, 200), (10, 200, 10)))
    assert image.getpixel((0, 100)) == BADGE_RGB and image.getpixel((150, 199)) == BADGE_RGB
    assert image.getpixel((150, 100)) == (10, 200, 10)
