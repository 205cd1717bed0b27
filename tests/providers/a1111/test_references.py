"""Issue 17: character references reach an AUTOMATIC1111 / Forge web UI as one ControlNet
IP-Adapter unit per character (module and model from /controlnet/module_list and
/controlnet/model_list); a server without them, or with too few units, is refused before the
picture is asked for; character LoRAs go into the prompt."""

from __future__ import annotations

from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.provider import A1111Provider
from bookbuild.providers.base import CharacterRef
from bookbuild.providers.references import digest
from bookbuild.providers.registry import make_preset
from bookbuild.spec.presets import Lora
from tests.fakes.a1111_drawing import decode
from tests.fakes.a1111_server import FakeA1111
from tests.fakes.sdapi_drawing import png
from tests.helpers.cast import (
    BLUE,
    HARE,
    HARE_RGB,
    RED,
    TORTOISE,
    TORTOISE_RGB,
    cast_request,
    picture,
)

TXT2IMG = "/sdapi/v1/txt2img"


def provider(fake: FakeA1111, **fields: Any) -> A1111Provider:
    preset = make_preset(provider="a1111", base_url=fake.base_url, **fields)
    return A1111Provider(preset, fake.env)  # type: ignore[arg-type]


def units_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body["alwayson_scripts"]["controlnet"]["args"])


def test_two_characters_get_one_ip_adapter_unit_each_with_their_own_picture() -> None:
    with FakeA1111() as fake:
        result = provider(fake, model="dreamshaper_8").run_image(cast_request(HARE, TORTOISE))
        (call,) = fake.of(TXT2IMG)
    hare, tortoise = units_of(call.body)
    assert decode(hare["image"]).convert("RGB").getpixel((1, 1)) == HARE_RGB
    assert decode(tortoise["image"]).convert("RGB").getpixel((1, 1)) == TORTOISE_RGB
    for unit in (hare, tortoise):
        assert (unit["module"], unit["model"]) == (
            "ip-adapter_clip_sd15",
            "ip-adapter-plus_sd15 [836b5c2e]",
        )
    assert (hare["weight"], tortoise["weight"]) == (0.7, 0.5)
    assert [r["images"] for r in result.metadata["references"]] == [[digest(RED)], [digest(BLUE)]]
    drawn = picture(result.png)  # the fake draws each applied unit's picture along the top
    assert drawn.getpixel((2, 2)) == HARE_RGB and drawn.getpixel((130, 2)) == TORTOISE_RGB


def test_an_sdxl_checkpoint_gets_an_sdxl_ip_adapter() -> None:
    with FakeA1111() as fake:
        result = provider(fake, model="sd_xl_base_1.0").run_image(cast_request(HARE))
    assert result.metadata["ip_adapter_model"] == "ip-adapter_sdxl [d0f4a7c1]"
    assert result.metadata["ip_adapter_module"] == "ip-adapter_clip_sdxl"


def test_the_preset_names_the_model_and_an_unknown_one_is_refused_before_any_picture() -> None:
    with FakeA1111() as fake:
        chosen = provider(fake, ip_adapter_model="ip-adapter-plus-face_sd15")
        assert (
            chosen.run_image(cast_request(HARE))
            .metadata["ip_adapter_model"]
            .startswith("ip-adapter-plus-face_sd15 [")
        )
        with pytest.raises(ProviderError, match="no model `ip-adapter-nope`"):
            provider(fake, ip_adapter_model="ip-adapter-nope").run_image(cast_request(HARE))
        assert fake.count(TXT2IMG) == 1


def test_a_server_without_ip_adapter_models_is_refused_with_what_to_install() -> None:
    with FakeA1111(ip_adapter=False) as fake:
        with pytest.raises(ProviderError, match=r"ip-adapter-plus_sd15\.safetensors"):
            provider(fake).run_image(cast_request(HARE))
        assert fake.generations == []


def test_a_server_without_controlnet_is_refused_with_what_to_install() -> None:
    with FakeA1111(controlnet=False) as fake:
        with pytest.raises(ProviderError, match="install sd-webui-controlnet"):
            provider(fake).run_image(cast_request(HARE))
        assert fake.generations == []


def test_more_characters_than_the_servers_units_is_refused_not_cut_short() -> None:
    owl = CharacterRef("owl", "Owl", "a grey owl", images=(png(),))
    with FakeA1111(max_units=2) as fake:
        with pytest.raises(ProviderError, match="needs 3 ControlNet units"):
            provider(fake).run_image(cast_request(HARE, TORTOISE, owl))
        assert fake.generations == []


def test_controlnet_pictures_keep_their_map_unit_first_and_add_the_references() -> None:
    with FakeA1111() as fake:
        request = cast_request(
            HARE, op="controlnet", control_image=png(), params={"controlnet": {"type": "canny"}}
        )
        provider(fake).run_image(request)
        (call,) = fake.of(TXT2IMG)
    modules = [unit["module"] for unit in units_of(call.body)]
    assert modules == ["canny", "ip-adapter_clip_sd15"]


def test_img2img_and_inpaint_carry_the_references_too() -> None:
    with FakeA1111() as fake:
        provider(fake).run_image(cast_request(TORTOISE, op="img2img", image=png(), strength=0.5))
        (call,) = fake.of("/sdapi/v1/img2img")
    (unit,) = units_of(call.body)
    assert decode(unit["image"]).convert("RGB").getpixel((1, 1)) == TORTOISE_RGB


def test_a_unit_the_extension_did_not_apply_is_refused() -> None:
    with FakeA1111(max_units=1) as fake:
        fake.max_units = 3  # /controlnet/settings says 3, the script then runs only 1
        p = provider(fake)
        p._server().ip_adapter(p.options)  # settings read while the server says 3
        fake.max_units = 1
        with pytest.raises(ProviderError, match="applied 1 of the 2 IP-Adapter units"):
            p.run_image(cast_request(HARE, TORTOISE))


def test_characters_without_pictures_send_no_units_and_ask_nothing() -> None:
    with FakeA1111() as fake:
        provider(fake).run_image(cast_request(CharacterRef("owl", "Owl", "a grey owl")))
        (call,) = fake.of(TXT2IMG)
        assert fake.count("/controlnet/model_list") == 0
    assert "alwayson_scripts" not in call.body


def test_character_loras_go_into_the_prompt() -> None:
    hare = CharacterRef("hare", "Hare", "a white hare", lora=Lora(model="ink-sketch", strength=0.6))
    with FakeA1111() as fake:
        result = provider(fake, lora={"model": "watercolor-style"}).run_image(cast_request(hare))
        (call,) = fake.of(TXT2IMG)
    assert call.body["prompt"].endswith("<lora:watercolor-style:0.7> <lora:ink-sketch:0.6>")
    assert result.metadata["character_loras"] == {"hare": "ink-sketch"}
    assert "ink-sketch" in result.metadata["lora_hashes"]


def test_validate_warns_that_the_style_reference_is_not_sent() -> None:
    from bookbuild.providers.base import CastNeeds

    preset = make_preset(provider="a1111")
    problems = A1111Provider.cast_problems(preset, "txt2img", CastNeeds(style_reference=True))  # type: ignore[arg-type]
    assert [severity for severity, _ in problems] == ["warning"]
    assert A1111Provider.cast_problems(preset, "txt2img", CastNeeds(references=("hare",))) == []  # type: ignore[arg-type]
