"""The draft PNG encoder: the same pixels as bookbuild's PNG, in valid, deterministic files."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from bookbuild.media.draftpng import encode_draft_png
from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.offline.drawing import draw


def noisy(mode: str, size: tuple[int, int]) -> Image.Image:
    """A picture whose rows differ everywhere (noise under shapes), in `mode`."""
    grey = Image.effect_noise(size, 90)
    image = Image.merge("RGB", (grey, grey.rotate(90, expand=False), grey.transpose(0)))
    if min(size) > 4:
        ImageDraw.Draw(image).ellipse((1, 1, size[0] // 2, size[1] // 2), fill=(250, 10, 40))
    if mode == "RGBA":
        image.putalpha(grey.point(lambda v: 255 - v))
    return image


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each CRC checked: a strict reading of the file."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        at += 12 + length
    return found


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1), (97, 64), (300, 211)])
def test_a_draft_png_decodes_to_exactly_the_pixels_encoded(
    mode: str, size: tuple[int, int]
) -> None:
    image = noisy(mode, size)
    data = encode_draft_png(image)
    decoded = decode_image(data)
    assert (decoded.mode, decoded.size) == (mode, size)
    assert decoded.tobytes() == image.tobytes()
    reference = decode_image(encode_png(image))
    assert decoded.tobytes() == reference.tobytes()


def test_a_draft_png_holds_only_its_header_pixels_and_end() -> None:
    data = encode_draft_png(noisy("RGB", (40, 30)))
    kinds = [kind for kind, _ in chunks(data)]
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    header = dict(chunks(data))[b"IHDR"]
    assert struct.unpack(">IIBBBBB", header) == (40, 30, 8, 2, 0, 0, 0)
    rows = zlib.decompress(dict(chunks(data))[b"IDAT"])
    assert len(rows) == 30 * (1 + 40 * 3)
    assert {rows[r * 121] for r in range(30)} == {2}  # every row filtered with "Up"


def test_the_same_picture_gives_the_same_bytes() -> None:
    image = noisy("RGBA", (64, 48))
    assert encode_draft_png(image) == encode_draft_png(image.copy())


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1"])
def test_other_modes_are_encoded_as_bookbuilds_png(mode: str) -> None:
    image = noisy("RGB", (20, 10)).convert(mode)
    assert encode_draft_png(image) == encode_png(image)


def test_offline_pictures_are_draft_pngs_smaller_than_the_adaptive_encoding() -> None:
    request = ImageRequest(step_id="c/i/image", op="txt2img", prompt="a fox", width=256, height=256)
    drawn = draw(request)
    picture = decode_image(drawn.png)
    assert drawn.png == encode_draft_png(picture)
    assert len(drawn.png) < len(encode_png(picture))
    assert Image.open(io.BytesIO(drawn.png)).info == {}


def test_a_picture_with_a_transparent_colour_is_encoded_as_bookbuilds_png() -> None:
    image = noisy("RGB", (20, 10))
    image.info["transparency"] = (250, 10, 40)
    assert encode_draft_png(image) == encode_png(image)
    assert decode_image(encode_draft_png(image)).mode == "RGBA"
