"""Requests over Stability's 10 MiB limit: the picture is sent as WebP instead of failing."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.stability.calls import MAX_BODY, Call, within_size_limit
from bookbuild.providers.stability.client import Picture, StabilityClient
from tests.fakes.sdapi_drawing import png
from tests.fakes.stability_server import FakeStability, fake_stability

__all__ = ["fake_stability"]
PATH = "/v2beta/stable-image/edit/remove-background"


def noisy_png(side: int = 1900) -> bytes:
    """A picture PNG cannot compress: over 10 MiB at 1900 x 1900."""
    picture = Image.merge("RGB", [Image.effect_noise((side, side), 80) for _ in range(3)])
    buffer = BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_small_request_is_sent_as_it_is() -> None:
    call = Call(PATH, {"output_format": "png"}, {"image": png()})
    assert within_size_limit(call) is call


def test_a_request_over_the_limit_sends_webp_and_is_accepted(fake_stability: FakeStability) -> None:
    big = noisy_png()
    assert len(big) > MAX_BODY
    client = StabilityClient(
        fake_stability.base_url, fake_stability.key, timeout=60, policy=RetryPolicy(), notify=None
    )
    with pytest.raises(ProviderError, match="payload_too_large"):
        client.submit(PATH, {"output_format": "png"}, {"image": big})
    fitted = within_size_limit(Call(PATH, {"output_format": "png"}, {"image": big}))
    assert fitted.image_as == "webp" and len(fitted.files["image"]) < MAX_BODY
    answer = client.submit(fitted.path, fitted.fields, fitted.files)
    assert isinstance(answer, Picture)
    assert fake_stability.of("remove-background")[-1].image().format == "WEBP"
