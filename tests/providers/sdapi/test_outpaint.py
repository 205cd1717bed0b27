"""Outpaint on the sdapi provider: the picture padded to the exact grown canvas and sent, with a
mask of the new area, through the family's inpaint endpoint (never the service's outpaint
endpoint, which places the original where it likes); over real HTTP to FakeSDAPI."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from bookbuild.errors import ProviderError
from bookbuild.media.outpaint import DEFAULT_OVERLAP, Margins, fit, pad
from bookbuild.providers.base import ImageRequest, ImageResult
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_drawing import png, prompt_colour
from tests.fakes.sdapi_server import DictJournal, FakeClock, FakeSDAPI, fake_sdapi, processing

__all__ = ["fake_sdapi"]

FAMILIES: dict[str, tuple[dict[str, Any], str]] = {
    "v3": ({"api": "v3", "model": "sdxl"}, "/api/v3/inpaint"),
    "v4": ({"api": "v4", "model": "dreamshaper-8"}, "/api/v4/dreambooth/inpaint"),
    "v6": ({"api": "v6", "model": "dreamshaper-8"}, "/api/v6/images/inpaint"),
    "realtime": ({}, "/api/v6/realtime/inpaint"),
}


def make(fake: FakeSDAPI, **fields: Any) -> SDAPIProvider:
    provider = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": fake.key})
    clock = FakeClock()
    provider.sleep, provider.clock = clock.sleep, clock
    return provider


def outpaint(image: bytes, prompt: str = "a meadow", **sides: int) -> ImageRequest:
    size = Image.open(BytesIO(image)).size
    return ImageRequest(
        step_id="ch/ill/outpaint",
        op="outpaint",
        prompt=prompt,
        seed=7,
        width=size[0],  # what the runner sends: the input's size
        height=size[1],
        image=image,
        params={"left": 0, "right": 0, "up": 0, "down": 0, **sides},
    )


def rgb(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data)).convert("RGB")


def decoded(result: ImageResult) -> Image.Image:
    assert result.png.startswith(b"\x89PNG\r\n\x1a\n")
    return rgb(result.png)


def sent(fake: FakeSDAPI, field: str) -> Image.Image:
    return Image.open(BytesIO(fake.file_bytes(fake.submits[0].body[field])))


def added_area(size: tuple[int, int], m: Margins) -> Image.Image:
    """255 exactly on the added margins, 0 on the original."""
    area = Image.new("L", size, 255)
    box = (m.left, m.up, size[0] - m.right - 1, size[1] - m.down - 1)
    ImageDraw.Draw(area).rectangle(box, fill=0)
    return area


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


@pytest.mark.parametrize("family", list(FAMILIES))
def test_outpaint_is_an_inpaint_of_the_padded_canvas(fake_sdapi: FakeSDAPI, family: str) -> None:
    fields, path = FAMILIES[family]
    result = make(fake_sdapi, **fields).run_image(outpaint(png(), left=16, right=16, down=8))
    (submit,) = fake_sdapi.submits
    assert (submit.route, submit.path) == ("inpaint", path)
    assert fake_sdapi.count("outpaint") == 0
    body = submit.body
    assert (body["width"], body["height"]) == (160, 104)
    assert body["prompt"] == "a meadow" and body["strength"] == 1.0
    assert sent(fake_sdapi, "init_image").size == sent(fake_sdapi, "mask_image").size == (160, 104)
    assert decoded(result).size == (160, 104)
    meta = result.metadata
    assert (meta["outpaint_via"], meta["canvas"], meta["endpoint"]) == ("inpaint", [160, 104], path)
    assert (meta["width"], meta["height"]) == (160, 104) and "sent_size" not in meta
    assert meta["uploads"] == 2


def test_the_mask_is_white_exactly_on_the_added_area(fake_sdapi: FakeSDAPI) -> None:
    margins = Margins(left=16, up=0, right=24, down=8)
    request = outpaint(png(), left=16, right=24, down=8)
    make(fake_sdapi, model="m").run_image(request)
    mask = sent(fake_sdapi, "mask_image")
    canvas = (128 + 40, 96 + 8)
    assert mask.mode == "L" and mask.size == canvas
    assert same(mask.point(lambda v: 255 if v == 255 else 0), added_area(canvas, margins))
    # a feathered overlap of a few pixels into the original, black beyond it
    overlap = DEFAULT_OVERLAP
    inner = mask.crop((16 + overlap, 0, canvas[0] - 24 - overlap, 96 - overlap))
    assert inner.getextrema() == (0, 0)
    ramp = [mask.getpixel((16 + i, 40)) for i in range(overlap)]
    assert all(isinstance(v, int) and 0 < v < 255 for v in ramp)
    assert ramp == sorted(ramp, reverse=True)  # fading away from the new area


def test_the_padded_picture_keeps_the_original_at_left_up(fake_sdapi: FakeSDAPI) -> None:
    base = png((128, 96))
    make(fake_sdapi, model="m").run_image(outpaint(base, left=40, up=24))
    padded = sent(fake_sdapi, "init_image").convert("RGB")
    original = rgb(base)
    assert padded.size == (168, 120)
    assert same(padded.crop((40, 24, 168, 120)), original)
    # the new area is pre-filled by mirroring, not left flat
    mirrored = original.crop((0, 0, 40, 96)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert same(padded.crop((0, 24, 40, 120)), mirrored)


def test_a_left_only_outpaint_keeps_the_right_part_as_it_was(fake_sdapi: FakeSDAPI) -> None:
    base = png((128, 96))
    result = make(fake_sdapi, model="m").run_image(outpaint(base, prompt="a sea", left=64))
    out = decoded(result)
    assert out.size == (192, 96)
    keep = 64 + DEFAULT_OVERLAP  # the fake keeps every unmasked pixel
    assert same(out.crop((keep, 0, 192, 96)), rgb(base).crop((DEFAULT_OVERLAP, 0, 128, 96)))
    new = out.crop((0, 0, 64, 96))
    assert same(new, Image.new("RGB", new.size, prompt_colour("a sea")))  # repainted


def test_a_canvas_over_the_limit_is_sent_scaled_and_returned_exact(fake_sdapi: FakeSDAPI) -> None:
    base = png((900, 900))
    result = make(fake_sdapi, model="m").run_image(outpaint(base, prompt="a sky", left=300))
    body = fake_sdapi.submits[0].body
    assert (body["width"], body["height"]) == (1024, 768)  # 1200x900 fitted into 1024
    assert sent(fake_sdapi, "init_image").size == sent(fake_sdapi, "mask_image").size == (1024, 768)
    out = decoded(result)
    assert out.size == (1200, 900)
    meta = result.metadata
    assert (meta["canvas"], meta["sent_size"]) == ([1200, 900], [1024, 768])
    assert (meta["width"], meta["height"]) == (1200, 900)
    colour = out.getpixel((750, 450))  # the middle of the original
    assert isinstance(colour, tuple)
    assert all(abs(a - b) <= 2 for a, b in zip(colour, (200, 30, 30), strict=True))
    assert out.getpixel((100, 450)) == prompt_colour("a sky")


def test_a_resumed_scaled_outpaint_comes_back_at_the_canvas_size(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("inpaint", processing(fetches=3))
    journal = DictJournal()
    request = outpaint(png((900, 900)), left=300)
    request = replace(request, journal=journal)
    with pytest.raises(ProviderError):
        make(fake_sdapi, model="m", deadline=1).run_image(request)
    result = make(fake_sdapi, model="m").run_image(request)
    assert fake_sdapi.count("submit") == 1
    assert decoded(result).size == (1200, 900)


def test_an_outpaint_that_adds_nothing_is_refused(fake_sdapi: FakeSDAPI) -> None:
    with pytest.raises(ProviderError, match="outpaint needs left, right, up or down"):
        make(fake_sdapi, model="m").run_image(outpaint(png()))
    assert fake_sdapi.count("submit") == 0


def test_padding_wider_than_the_picture_repeats_its_outer_edge() -> None:
    picture = Image.new("RGB", (4, 2))
    for x in range(4):
        for y in range(2):
            picture.putpixel((x, y), (x * 60, y * 100, 0))
    padded = pad(picture, Margins(left=7, up=0, right=0, down=3))
    assert padded.size == (11, 5)
    assert same(padded.crop((7, 0, 11, 2)), picture)
    row = [padded.getpixel((x, 0)) for x in range(11)]
    assert row[3:7] == [(180, 0, 0), (120, 0, 0), (60, 0, 0), (0, 0, 0)]  # mirrored
    assert row[:3] == [(180, 0, 0)] * 3  # beyond the picture: its outermost column repeated


def test_fit_keeps_sizes_within_the_limit_and_scales_larger_ones() -> None:
    assert fit((1024, 640), 1024) == (1024, 640)
    assert fit((1200, 900), 1024) == (1024, 768)
    width, height = fit((2100, 700), 1024)
    assert width <= 1024 and height <= 1024 and width % 8 == height % 8 == 0
    assert abs(width / height - 3) < 0.05


def test_margins_that_are_not_multiples_of_8_are_sent_divisible_and_cropped_back(
    fake_sdapi: FakeSDAPI,
) -> None:
    base = png((128, 96))
    result = make(fake_sdapi, model="m").run_image(outpaint(base, prompt="a sea", left=13, up=3))
    body = fake_sdapi.submits[0].body
    assert int(body["width"]) % 8 == 0 and int(body["height"]) % 8 == 0
    assert (int(body["width"]), int(body["height"])) == (144, 104)
    out = decoded(result)
    assert out.size == (141, 99)  # exactly what was asked
    keep = 13 + DEFAULT_OVERLAP
    original = rgb(base).crop((DEFAULT_OVERLAP, DEFAULT_OVERLAP, 128, 96))
    assert same(out.crop((keep, 3 + DEFAULT_OVERLAP, 141, 99)), original)
