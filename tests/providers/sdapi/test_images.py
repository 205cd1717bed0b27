"""What the sdapi provider accepts back from the service, and the masks it sends."""

from __future__ import annotations

import base64
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.images import (
    decode_output,
    is_blank,
    mask_png,
    sniff_format,
)
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_server import FakeSDAPI, success


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_are_accepted(fmt: str) -> None:
    data = encoded(Image.new("RGB", (16, 8), (90, 120, 200)), fmt)
    assert sniff_format(data) == fmt
    assert decode_output(data, "https://cdn.example/x").size == (16, 8)


def test_other_formats_are_refused() -> None:
    gif = encoded(Image.new("RGB", (4, 4), (90, 120, 200)), "GIF")
    with pytest.raises(ProviderError, match="not a PNG, JPEG or WebP"):
        decode_output(gif, "https://cdn.example/x.gif")
    with pytest.raises(ProviderError, match="not a PNG, JPEG or WebP"):
        decode_output(b"<html>Access denied</html>", "https://cdn.example/x.png")


def test_a_decompression_bomb_is_refused() -> None:
    with pytest.raises(ProviderError, match="decompression bomb"):
        decode_output(bomb_png(60_000, 60_000), "https://cdn.example/x.png")


def test_base64_links_are_decoded() -> None:
    data = encoded(Image.new("RGB", (8, 8), (10, 200, 10)), "PNG")
    text = base64.b64encode(data)
    assert decode_output(text, "https://cdn.example/x.base64").size == (8, 8)
    with_prefix = b"data:image/png;base64," + text
    assert decode_output(with_prefix, "https://cdn.example/x.base64").size == (8, 8)


def test_all_black_means_blanked() -> None:
    assert is_blank(Image.new("RGB", (8, 8), (8, 8, 8)))
    assert not is_blank(Image.new("RGB", (8, 8), (0, 0, 9)))
    assert is_blank(Image.new("L", (8, 8), 0))


def test_masks_are_sent_white_for_repaint_at_the_image_size() -> None:
    mask = Image.new("L", (10, 10), 0)
    mask.paste(255, (0, 0, 5, 10))
    sent = Image.open(BytesIO(mask_png(encoded(mask, "PNG"), (20, 20))))
    assert sent.mode == "L" and sent.size == (20, 20)
    assert sent.getpixel((2, 2)) == 255 and sent.getpixel((18, 2)) == 0  # no inversion


def test_a_gif_from_the_service_fails_the_step() -> None:
    with FakeSDAPI() as fake:
        fake.script("txt2img", success(fmt="GIF"))
        provider = SDAPIProvider(fake.preset(model="m"), fake.env)
        with pytest.raises(ProviderError, match="not a PNG, JPEG or WebP") as caught:
            provider.run_image(ImageRequest(step_id="s", op="txt2img", prompt="x"))
    assert not caught.value.transient


def test_an_unreadable_input_image_is_refused_before_any_call() -> None:
    with FakeSDAPI() as fake:
        provider = SDAPIProvider(fake.preset(model="m"), fake.env)
        request = ImageRequest(step_id="s", op="img2img", prompt="x", image=b"not an image")
        with pytest.raises(ProviderError, match="input image"):
            provider.run_image(request)
        assert fake.requests == []
