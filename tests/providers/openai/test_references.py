"""Issue 17: character references reach OpenAI's GPT image models through the edits endpoint:
the reference pictures as `image[]` (no mask), the prompt saying who is in which picture, and
`input_fidelity: high` where the model takes it (not gpt-image-1-mini, not gpt-image-2)."""

from __future__ import annotations

from typing import Any

import pytest

from bookbuild.errors import ConfigError
from bookbuild.providers.base import CharacterRef
from bookbuild.providers.openai.provider import OpenAIChatProvider
from bookbuild.providers.references import digest
from bookbuild.providers.registry import make_preset
from tests.fakes.multipart import Form, parse_form
from tests.fakes.openai_server import FakeOpenAI, fake_openai
from tests.fakes.sdapi_drawing import mask_png, png
from tests.helpers.cast import (
    BLUE,
    GREEN,
    HARE,
    HARE_RGB,
    RED,
    TORTOISE,
    TORTOISE_RGB,
    cast_request,
    picture,
)

__all__ = ["fake_openai"]
EDITS = "/v1/images/edits"


def provider(fake: FakeOpenAI, model: str = "gpt-image-1.5", **fields: Any) -> OpenAIChatProvider:
    preset = make_preset(provider="openai", model=model, base_url=fake.base_url, **fields)
    return OpenAIChatProvider(preset, {"OPENAI_API_KEY": "sk-test"})  # type: ignore[arg-type]


def last_edit(fake: FakeOpenAI) -> Form:
    (request,) = [r for r in fake.image_requests if r.path == EDITS][-1:]
    return parse_form(request.headers["content-type"], fake.edit_forms[-1])


def test_txt2img_with_two_characters_is_an_edit_of_their_references_without_mask(
    fake_openai: FakeOpenAI,
) -> None:
    result = provider(fake_openai).run_image(cast_request(HARE, TORTOISE, width=512, height=512))
    assert [r.path for r in fake_openai.image_requests] == [EDITS]
    form = last_edit(fake_openai)
    images = form.files_named("image[]")
    assert [part.data for part in images] == [RED, BLUE]  # in prompt order, as sent
    assert form.file("mask") is None
    assert form.fields["input_fidelity"] == "high"
    assert "moderation" not in form.fields
    prompt = form.fields["prompt"]
    assert "Image 1 is a reference picture of Hare." in prompt
    assert "Image 2 is a reference picture of Tortoise." in prompt
    assert prompt.endswith("a race at dawn")
    assert result.metadata["references"] == [
        {"character": "hare", "via": "image[]", "images": [digest(RED)]},
        {"character": "tortoise", "via": "image[]", "images": [digest(BLUE)]},
    ]
    drawn = picture(result.png)  # the fake shows the pictures it was given after the first
    assert drawn.getpixel((2, 2)) == TORTOISE_RGB  # image 2, the first after image 1


def test_an_inpaint_keeps_the_books_picture_first_so_the_mask_applies_to_it(
    fake_openai: FakeOpenAI,
) -> None:
    request = cast_request(
        HARE, op="inpaint", image=png((64, 64)), mask=mask_png((64, 64), (0, 0, 31, 63))
    )
    result = provider(fake_openai).run_image(request)
    form = last_edit(fake_openai)
    images = form.files_named("image[]")
    assert len(images) == 2 and images[1].data == RED and images[0].data != RED
    assert form.file("mask") is not None
    assert form.fields["prompt"].startswith("Image 1 is the picture to work on.")
    assert "Image 2 is a reference picture of Hare." in form.fields["prompt"]
    assert result.metadata["edit_images"] == 2


@pytest.mark.parametrize("model", ["gpt-image-1-mini", "gpt-image-2"])
def test_models_without_input_fidelity_get_the_pictures_without_it(
    fake_openai: FakeOpenAI, model: str
) -> None:
    result = provider(fake_openai, model=model).run_image(cast_request(HARE))
    assert "input_fidelity" not in last_edit(fake_openai).fields
    assert "input_fidelity" not in result.metadata


def test_the_presets_input_fidelity_wins(fake_openai: FakeOpenAI) -> None:
    provider(fake_openai, input_fidelity="low").run_image(cast_request(HARE))
    assert last_edit(fake_openai).fields["input_fidelity"] == "low"


def test_every_reference_picture_is_sent_while_they_fit(fake_openai: FakeOpenAI) -> None:
    hare = CharacterRef("hare", "Hare", "a white hare", images=(RED, BLUE))
    result = provider(fake_openai).run_image(cast_request(hare))
    assert [p.data for p in last_edit(fake_openai).files_named("image[]")] == [RED, BLUE]
    assert result.metadata["references"][0]["images"] == [digest(RED), digest(BLUE)]


def test_past_sixteen_pictures_the_first_of_each_is_sent_and_the_metadata_says_so(
    fake_openai: FakeOpenAI,
) -> None:
    hare = CharacterRef("hare", "Hare", "a white hare", images=(RED,) * 10)
    tortoise = CharacterRef("tortoise", "Tortoise", "a tortoise", images=(BLUE,) * 10)
    result = provider(fake_openai).run_image(cast_request(hare, tortoise))
    assert len(last_edit(fake_openai).files_named("image[]")) == 2
    assert result.metadata["reference_notes"] == [
        "hare: the first of its 10 reference pictures was sent (at most 16 pictures in all)",
        "tortoise: the first of its 10 reference pictures was sent (at most 16 pictures in all)",
    ]


def test_more_characters_than_sixteen_pictures_is_refused_before_any_call(
    fake_openai: FakeOpenAI,
) -> None:
    crowd = tuple(CharacterRef(f"c{i}", f"C{i}", "someone", images=(RED,)) for i in range(17))
    with pytest.raises(ConfigError, match="at most 16 reference pictures"):
        provider(fake_openai).run_image(cast_request(*crowd))
    assert fake_openai.image_requests == []


def test_a_picture_without_references_is_still_a_generation(fake_openai: FakeOpenAI) -> None:
    plain = CharacterRef("owl", "Owl", "a grey owl")
    result = provider(fake_openai).run_image(cast_request(plain))
    assert [r.path for r in fake_openai.image_requests] == ["/v1/images/generations"]
    assert "references" not in result.metadata
    assert picture(result.png).getpixel((0, 0)) != HARE_RGB


def test_the_art_styles_reference_goes_after_the_characters(fake_openai: FakeOpenAI) -> None:
    request = cast_request(HARE, style_images=(GREEN,))
    result = provider(fake_openai).run_image(request)
    form = last_edit(fake_openai)
    assert [p.data for p in form.files_named("image[]")] == [RED, GREEN]
    assert "Image 2 shows the art style to paint in" in form.fields["prompt"]
    assert result.metadata["references"][-1] == {
        "character": "style.art",
        "via": "image[]",
        "images": [digest(GREEN)],
    }
