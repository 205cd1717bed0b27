"""The offline provider's erase and replace: real edits, deterministic, so drafts show them."""

from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageDraw

from bookbuild.media.images import encode_png
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.offline import OfflineProvider
from bookbuild.spec.masks import mask_png
from bookbuild.spec.presets import Preset


def picture() -> Image.Image:
    image = Image.new("RGB", (256, 192), (90, 140, 200))
    ImageDraw.Draw(image).rectangle((100, 70, 150, 120), fill=(206, 52, 48))  # a red ball
    return image


def run(op: str, **fields: object) -> Image.Image:
    provider = OfflineProvider(Preset(provider="offline"), {})
    request = ImageRequest(step_id="c/i/edit-1", op=op, image=encode_png(picture()), **fields)  # type: ignore[arg-type]
    return Image.open(BytesIO(provider.run_image(request).png)).convert("RGB")


def box_mask() -> bytes:
    mask = Image.new("L", (256, 192), 0)
    ImageDraw.Draw(mask).rectangle((90, 60, 160, 130), fill=255)
    return mask_png(mask)


def test_erase_fills_the_mask_from_its_surroundings_and_keeps_the_rest() -> None:
    erased = run("erase", mask=box_mask())
    centre = erased.getpixel((125, 95))
    assert max(abs(a - b) for a, b in zip(centre, (90, 140, 200), strict=True)) <= 3
    assert erased.getpixel((10, 10)) == (90, 140, 200)
    assert erased.tobytes() == run("erase", mask=box_mask()).tobytes()


def test_replace_repaints_what_the_search_names_and_nothing_far_from_it() -> None:
    replaced = run("replace", prompt="a green apple", seed=3, params={"search": "the red ball"})
    assert replaced.getpixel((125, 95)) != (206, 52, 48)
    assert replaced.getpixel((10, 10)) == (90, 140, 200)


def test_replace_without_a_named_colour_repaints_the_centre_deterministically() -> None:
    one = run("replace", prompt="a small dog", seed=3, params={"search": "the cat"})
    assert one.getpixel((128, 100)) != picture().getpixel((128, 100))
    assert one.getpixel((5, 5)) == (90, 140, 200)
    assert (
        one.tobytes()
        == run("replace", prompt="a small dog", seed=3, params={"search": "the cat"}).tobytes()
    )
