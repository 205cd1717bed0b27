"""Pictures are PNG-encoded once: a provider's own encoding is kept, a service's is normalised."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from bookbuild.build.runner import normalised_png
from bookbuild.graph.steps import Step
from bookbuild.media.images import decode_image, encode_png
from bookbuild.providers.base import ImageOp, ImageRequest, ImageResult
from bookbuild.providers.offline.provider import OfflineProvider
from bookbuild.providers.registry import make_preset
from bookbuild.providers.sdapi.images import mask_png as service_mask_png
from bookbuild.spec.masks import mask_png, render_mask
from bookbuild.spec.models import MaskShape

STEP = Step(id="ch/ill/image", op="txt2img", provider="offline")


def offline(op: ImageOp, **fields: Any) -> ImageResult:
    provider = OfflineProvider(make_preset(provider="offline"), {})
    return provider.run_image(ImageRequest(step_id="ch/ill/image", op=op, **fields))


def test_offline_results_are_kept_byte_for_byte_with_the_pixels_a_reencode_would_give() -> None:
    base = offline("txt2img", prompt="a fox", width=96, height=64, seed=3)
    mask = mask_png(render_mask(MaskShape(rect=[0.1, 0.1, 0.5, 0.5]), (96, 64), Path(".")))
    edited = offline("inpaint", prompt="a hat", width=96, height=64, image=base.png, mask=mask)
    for result in (base, edited):
        assert result.canonical
        kept, size = normalised_png(result, STEP)
        assert kept is result.png
        assert size == (96, 64)
        decoded = decode_image(kept)
        again = decode_image(encode_png(decoded))
        assert (decoded.mode, decoded.tobytes()) == (again.mode, again.tobytes())


def test_service_bytes_are_reencoded_without_their_metadata() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "steps: 30, sampler: Euler a")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 100, 50)).save(buffer, "PNG", pnginfo=info)
    served = buffer.getvalue()
    data, size = normalised_png(ImageResult(served, {}), STEP)
    assert b"tEXt" in served and b"tEXt" not in data
    assert (data, size) == (encode_png(decode_image(served)), (40, 30))


@pytest.mark.parametrize("size", [(96, 64), (48, 32)])
def test_a_mask_already_in_the_services_form_is_sent_as_it_is(size: tuple[int, int]) -> None:
    mask = mask_png(render_mask(MaskShape(ellipse=[0.2, 0.2, 0.8, 0.8]), (96, 64), Path(".")))
    sent = service_mask_png(mask, size)
    assert (sent is mask) == (size == (96, 64))
    assert decode_image(sent).size == size
