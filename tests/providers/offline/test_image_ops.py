"""The offline provider's image side: real pictures, real edits, same request -> same bytes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from bookbuild.errors import ImageDecodeError, ProviderError, UserError
from bookbuild.media.images import decode_image, encode_png, image_size
from bookbuild.providers.base import ImageOp, ImageRequest
from bookbuild.providers.offline.provider import OfflineProvider
from bookbuild.providers.registry import make_preset
from bookbuild.spec.masks import mask_png, render_mask
from bookbuild.spec.models import MaskShape

PROMPT = "a rabbit and a tortoise at the start of a race, soft watercolor"


@pytest.fixture(autouse=True)
def _without_the_draft_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about each op's pixels; the DRAFT mark drawn over every result is
    tested in test_draftmark.py."""
    monkeypatch.setattr("bookbuild.providers.offline.drawing.mark_draft", lambda image: image)


def _run(op: ImageOp, **fields: Any) -> tuple[Image.Image, bytes, dict[str, Any]]:
    provider = OfflineProvider(make_preset(provider="offline"), {})
    result = provider.run_image(ImageRequest(step_id="ch/ill/image", op=op, **fields))
    return decode_image(result.png), result.png, result.metadata


def _png(image: Image.Image) -> bytes:
    return encode_png(image)


def _base(width: int = 256, height: int = 192, seed: int = 7) -> bytes:
    return _run("txt2img", prompt=PROMPT, width=width, height=height, seed=seed)[1]


def _subject_on_plain_background() -> Image.Image:
    image = Image.new("RGB", (200, 160), (236, 238, 230))
    ImageDraw.Draw(image).ellipse((60, 40, 140, 120), fill=(190, 60, 50))
    return image


def test_txt2img_is_deterministic_and_seeded() -> None:
    image, data, metadata = _run("txt2img", prompt=PROMPT, width=320, height=240, seed=42)
    assert image.size == (320, 240) and image.mode == "RGB"
    assert data == _run("txt2img", prompt=PROMPT, width=320, height=240, seed=42)[1]
    assert data != _run("txt2img", prompt=PROMPT, width=320, height=240, seed=43)[1]
    assert data != _run("txt2img", prompt="a fox", width=320, height=240, seed=42)[1]
    assert metadata == {
        "provider": "offline",
        "model": "offline-draft",
        "seed": 42,
        "op": "txt2img",
        "width": 320,
        "height": 240,
        "draft_mark": 1,
    }


def test_txt2img_is_a_picture_not_a_flat_fill() -> None:
    image = _run("txt2img", prompt="토끼와 거북이, 수채화", width=256, height=256, seed=1)[0]
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 1000


def test_inpaint_changes_only_masked_pixels() -> None:
    base = _base()
    shape = MaskShape(ellipse=[0.3, 0.2, 0.8, 0.7], feather=0.03)
    mask = render_mask(shape, (256, 192), Path("."))
    result, _, metadata = _run(
        "inpaint", prompt="a red scarf", image=base, mask=mask_png(mask), seed=3, strength=1.0
    )
    original = decode_image(base)
    assert result.size == original.size and metadata["op"] == "inpaint"
    for xy in [(0, 0), (255, 191), (10, 100), (250, 5)]:
        assert mask.getpixel(xy) == 0
    keep = mask.point(lambda v: 255 if v == 0 else 0)
    expected = Image.composite(original, result, keep)  # the original wherever mask == 0
    assert expected.tobytes() == result.tobytes()
    assert keep.getextrema() == (0, 255)
    assert result.getpixel((140, 86)) != original.getpixel((140, 86))
    assert (
        _run("inpaint", prompt="a red scarf", image=base, mask=mask_png(mask), seed=3)[1]
        == (_run("inpaint", prompt="a red scarf", image=base, mask=mask_png(mask), seed=3)[1])
    )


def test_inpaint_blends_where_the_mask_is_partial() -> None:
    base = _base(64, 64)
    mask = Image.new("L", (64, 64), 128)
    result = _run("inpaint", prompt="blue", image=base, mask=_png(mask), strength=1.0)[0]
    original = decode_image(base).convert("RGB")
    fill_blue = result.getpixel((32, 32))
    assert fill_blue != original.getpixel((32, 32))
    assert isinstance(fill_blue, tuple)


def test_outpaint_grows_and_keeps_the_original_in_place() -> None:
    base = _base(200, 150)
    params = {"left": 40, "right": 60, "up": 20, "down": 0}
    result, _, metadata = _run("outpaint", prompt=PROMPT, image=base, params=params, seed=1)
    assert result.size == (300, 170)
    assert (metadata["width"], metadata["height"]) == (300, 170)
    kept = result.crop((40, 20, 240, 170))
    assert kept.tobytes() == decode_image(base).tobytes()


def test_outpaint_accepts_a_larger_target_size() -> None:
    base = _base(100, 100)
    result = _run("outpaint", prompt="", image=base, width=160, height=120)[0]
    assert result.size == (160, 120)
    assert result.crop((30, 10, 130, 110)).tobytes() == decode_image(base).tobytes()


def test_outpaint_without_growth_is_refused() -> None:
    with pytest.raises(ProviderError, match="outpaint needs"):
        _run("outpaint", prompt="", image=_base(64, 64), width=64, height=64)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_upscale_resamples_by_the_scale(scale: int) -> None:
    base = _base(60, 40)
    result = _run("upscale", image=base, params={"scale": scale})[0]
    assert result.size == (60 * scale, 40 * scale)
    shrunk = result.resize((60, 40), Image.Resampling.BOX)
    difference = ImageChops.difference(shrunk, decode_image(base).convert("RGB"))
    assert max(band[1] for band in difference.getextrema()) < 64  # type: ignore[index]


def test_upscale_refuses_other_scales() -> None:
    with pytest.raises(ProviderError, match="scale must be 2, 3 or 4"):
        _run("upscale", image=_base(32, 32), params={"scale": 7})


def test_remove_background_cuts_out_a_centred_subject() -> None:
    result = _run("remove_background", image=_png(_subject_on_plain_background()))[0]
    assert result.mode == "RGBA"
    alpha = result.getchannel("A")
    w, h = result.size
    border = [alpha.getpixel((x, 0)) for x in range(w)] + [alpha.getpixel((0, y)) for y in range(h)]
    border += [alpha.getpixel((x, h - 1)) for x in range(w)]
    border += [alpha.getpixel((w - 1, y)) for y in range(h)]
    assert set(border) == {0}
    assert alpha.crop((80, 60, 120, 100)).getextrema() == (255, 255)


def test_remove_background_keeps_a_scene_deterministic() -> None:
    base = _base(128, 96)
    first = _run("remove_background", image=base)[1]
    assert first == _run("remove_background", image=base)[1]


def test_img2img_strength_zero_is_the_input() -> None:
    base = _base(128, 96)
    same = _run("img2img", prompt="a night sky", image=base, strength=0.0, seed=1)[0]
    difference = ImageChops.difference(same.convert("RGB"), decode_image(base).convert("RGB"))
    assert max(band[1] for band in difference.getextrema()) <= 1  # type: ignore[index]


def test_img2img_moves_with_strength_and_keeps_the_input_size() -> None:
    base = _base(128, 96)
    original = decode_image(base).convert("RGB")

    def distance(strength: float) -> float:
        image = _run("img2img", prompt="a night sky", image=base, strength=strength, seed=1)[0]
        assert image.size == (128, 96)
        diff = ImageChops.difference(image.convert("RGB"), original).convert("L")
        return sum(v * n for v, n in enumerate(diff.histogram()))

    assert 0 < distance(0.3) < distance(0.9)


def test_controlnet_uses_the_request_size_and_the_control_edges() -> None:
    control = _png(_subject_on_plain_background())
    image = _run(
        "controlnet",
        prompt="a red ball in the forest",
        control_image=control,
        width=256,
        height=256,
        params={"controlnet": {"type": "canny", "strength": 1.0}},
    )[0]
    plain = _run("txt2img", prompt="a red ball in the forest", width=256, height=256)[0]
    assert image.size == (256, 256)
    assert image.tobytes() != plain.tobytes()


def test_missing_input_image_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="needs an input image"):
        _run("inpaint", prompt="x")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only claims its size: signature, IHDR, an empty IDAT and IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [100_000, 10_000, 9_000])
def test_decompression_bomb_is_refused_with_a_clear_error(side: int) -> None:
    bomb = _png_header(side, side)
    with pytest.raises(ImageDecodeError, match=r"too many pixels|too large") as caught:
        decode_image(bomb, what="art/huge.png")
    assert "art/huge.png" in str(caught.value)
    assert isinstance(caught.value, UserError) and isinstance(caught.value, ValueError)
    with pytest.raises(ImageDecodeError):
        image_size(bomb)
    with pytest.raises(ImageDecodeError):
        _run("img2img", prompt="x", image=bomb)


def test_non_images_and_other_formats_are_refused() -> None:
    with pytest.raises(ImageDecodeError, match="not a readable image"):
        decode_image(b"hello, not an image")
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(ImageDecodeError, match="expected PNG, JPEG, WEBP"):
        decode_image(gif.getvalue())


def test_jpeg_and_webp_decode() -> None:
    for fmt in ("JPEG", "WEBP"):
        buffer = io.BytesIO()
        Image.new("RGB", (20, 10), (200, 100, 50)).save(buffer, fmt)
        assert decode_image(buffer.getvalue()).size == (20, 10)


def test_encode_png_is_deterministic_and_drops_metadata() -> None:
    image = Image.new("RGB", (16, 16), (10, 20, 30))
    image.info["icc_profile"] = b"not a real profile"
    image.info["dpi"] = (300, 300)
    data = encode_png(image)
    assert data == encode_png(image.copy())
    assert b"iCCP" not in data and b"pHYs" not in data and b"tIME" not in data
    palette = Image.new("P", (8, 8))
    palette.putpalette([0, 0, 0, 200, 30, 30])
    palette.info["transparency"] = 0
    decoded = decode_image(encode_png(palette))
    assert decoded.mode == "RGBA" and decoded.getpixel((0, 0)) == (0, 0, 0, 0)
