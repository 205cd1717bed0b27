"""Issue 17: Stability has no identity reference, so characters rely on their descriptions
(validate warns; the metadata says so for each picture); the art style's reference goes to
`control/style` as its style guide picture."""

from __future__ import annotations

from typing import Any

from bookbuild.providers.base import CastNeeds
from bookbuild.providers.references import digest
from bookbuild.providers.registry import make_preset
from bookbuild.providers.stability.provider import StabilityProvider
from tests.fakes.sdapi_drawing import png
from tests.fakes.stability_server import FakeStability, fake_stability
from tests.helpers.cast import GREEN, HARE, RED, STYLE_RGB, TORTOISE, cast_request

__all__ = ["fake_stability"]
STYLE = "/v2beta/stable-image/control/style"


def provider(fake: FakeStability, **fields: Any) -> StabilityProvider:
    preset = make_preset(provider="stability", base_url=fake.base_url, **fields)
    return StabilityProvider(preset, fake.env)  # type: ignore[arg-type]


def test_characters_send_nothing_and_each_is_named_as_description_only(
    fake_stability: FakeStability,
) -> None:
    result = provider(fake_stability).run_image(cast_request(HARE, TORTOISE))
    (call,) = fake_stability.of("submit")
    assert call.path.endswith("/generate/core")
    assert call.form is not None
    assert [p.name for p in call.form.files if p.data] == []  # only the empty `none` part
    assert result.metadata["reference_notes"] == [
        "hare: no character reference on Stability; drawn from its description only",
        "tortoise: no character reference on Stability; drawn from its description only",
    ]
    assert "references" not in result.metadata


def test_the_art_styles_reference_goes_to_control_style_as_its_image(
    fake_stability: FakeStability,
) -> None:
    request = cast_request(HARE, style_images=(GREEN, RED), width=512, height=512)
    result = provider(fake_stability, style_fidelity=0.8).run_image(request)
    (call,) = fake_stability.of("submit")
    assert call.path == STYLE
    assert call.image().convert("RGB").getpixel((1, 1)) == STYLE_RGB
    assert call.fields["fidelity"] == "0.8" and call.fields["aspect_ratio"] == "1:1"
    assert result.metadata["references"] == [
        {"character": "style.art", "via": "control/style image", "images": [digest(GREEN)]}
    ]
    assert result.metadata["model"] == "style"
    assert "the first of 2 style pictures was sent" in result.metadata["reference_notes"][-1]
    assert result.metadata["credits"] == 5.0


def test_an_edit_has_no_style_input_and_says_so(fake_stability: FakeStability) -> None:
    request = cast_request(op="img2img", image=png(), strength=0.5, style_images=(GREEN,))
    result = provider(fake_stability, model="ultra").run_image(request)
    assert fake_stability.of("submit")[0].path.endswith("/generate/ultra")
    assert result.metadata["reference_notes"] == [
        "style: img2img has no style input on Stability; not sent"
    ]


def test_validate_warns_that_characters_rely_on_descriptions() -> None:
    preset = make_preset(provider="stability")
    needs = CastNeeds(
        characters=("hare", "owl"), references=("hare",), loras=("owl",), style_reference=True
    )
    problems = StabilityProvider.cast_problems(preset, "img2img", needs)  # type: ignore[arg-type]
    assert [severity for severity, _ in problems] == ["warning"] * 3
    assert "hare rely on their descriptions only" in problems[0][1]
    assert StabilityProvider.cast_problems(preset, "txt2img", CastNeeds(style_reference=True)) == []  # type: ignore[arg-type]
