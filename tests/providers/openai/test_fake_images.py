"""The fake OpenAI Images endpoints follow the documented API (checked with the real `openai`
SDK, independently of bookbuild's provider)."""

from __future__ import annotations

import base64
from io import BytesIO

import openai
import pytest
from PIL import Image

from tests.fakes.openai_server import FakeOpenAI, error, fake_openai, rate_limited
from tests.fakes.sdapi_drawing import png, prompt_colour

__all__ = ["fake_openai"]


def client(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0, timeout=10)


def decoded(b64: str | None) -> Image.Image:
    assert b64 is not None
    return Image.open(BytesIO(base64.b64decode(b64)))


def alpha_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> bytes:
    """OpenAI's convention: transparent (alpha 0) inside `box` = edit there."""
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), box)
    buffer = BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


def test_generate_returns_base64_at_the_size_with_usage(fake_openai: FakeOpenAI) -> None:
    result = client(fake_openai).images.generate(
        model="gpt-image-1.5", prompt="a lighthouse", size="1536x1024", quality="low"
    )
    assert result.data and result.usage and result.usage.total_tokens > 0
    picture = decoded(result.data[0].b64_json)
    assert picture.size == (1536, 1024)
    assert picture.getpixel((10, 10)) == prompt_colour("a lighthouse")


@pytest.mark.parametrize("model", ["dall-e-2", "dall-e-3", "gpt-image-1"])
def test_retired_models_are_not_found(fake_openai: FakeOpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client(fake_openai).images.generate(model=model, prompt="a lighthouse")
    assert raised.value.code == "model_not_found"


def test_sizes_outside_the_models_list_are_refused(fake_openai: FakeOpenAI) -> None:
    images = client(fake_openai).images
    with pytest.raises(openai.BadRequestError):
        images.generate(model="gpt-image-1.5", prompt="a", size="1536x864")
    free = images.generate(model="gpt-image-2", prompt="a", size="1536x864")
    assert free.data and decoded(free.data[0].b64_json).size == (1536, 864)
    with pytest.raises(openai.BadRequestError):
        images.generate(model="gpt-image-2", prompt="a", size="1000x1000")  # not /16


def test_edit_with_a_mask_edits_the_transparent_area_and_nudges_the_rest(
    fake_openai: FakeOpenAI,
) -> None:
    source = Image.new("RGB", (1024, 1024), (100, 100, 100))
    buffer = BytesIO()
    source.save(buffer, format="PNG")
    result = client(fake_openai).images.edit(
        model="gpt-image-1.5",
        image=[("a.png", buffer.getvalue(), "image/png"), ("b.png", png(), "image/png")],
        mask=("mask.png", alpha_mask((1024, 1024), (0, 0, 512, 1024)), "image/png"),
        prompt="a red scarf",
        size="1024x1024",
    )
    assert result.data
    out = decoded(result.data[0].b64_json).convert("RGB")
    assert out.getpixel((100, 500)) == prompt_colour("a red scarf")
    assert out.getpixel((900, 500)) != (100, 100, 100)  # guidance only: the rest changed a bit
    assert b'name="image[]"' in fake_openai.edit_forms[0]


def test_edit_refuses_a_mask_of_another_size_or_without_alpha(fake_openai: FakeOpenAI) -> None:
    images = client(fake_openai).images
    with pytest.raises(openai.BadRequestError, match="same dimensions"):
        images.edit(
            model="gpt-image-1.5",
            image=("a.png", png((128, 96)), "image/png"),
            mask=("m.png", alpha_mask((64, 64), (0, 0, 10, 10)), "image/png"),
            prompt="x",
        )
    grey = Image.new("L", (128, 96), 255)
    buffer = BytesIO()
    grey.save(buffer, format="PNG")
    with pytest.raises(openai.BadRequestError, match="RGBA"):
        images.edit(
            model="gpt-image-1.5",
            image=("a.png", png((128, 96)), "image/png"),
            mask=("m.png", buffer.getvalue(), "image/png"),
            prompt="x",
        )


def test_scripted_moderation_block_and_rate_limit(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        error(400, "rejected by the safety system", code="moderation_blocked"), rate_limited()
    )
    images = client(fake_openai).images
    with pytest.raises(openai.BadRequestError) as raised:
        images.generate(model="gpt-image-1.5", prompt="x")
    assert raised.value.code == "moderation_blocked"
    with pytest.raises(openai.RateLimitError):
        images.generate(model="gpt-image-1.5", prompt="x")


def test_transparent_background_gives_alpha(fake_openai: FakeOpenAI) -> None:
    result = client(fake_openai).images.edit(
        model="gpt-image-1.5",
        image=("a.png", png((128, 128)), "image/png"),
        prompt="the same picture",
        background="transparent",
        size="1024x1024",
    )
    assert result.data
    out = decoded(result.data[0].b64_json)
    assert out.mode == "RGBA" and out.getpixel((2, 2))[3] == 0
