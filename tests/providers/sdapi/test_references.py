"""Issue 17: character references reach ModelsLab as IP-Adapter fields (`ip_adapter_id`,
`ip_adapter_scale`, `ip_adapter_image`, uploaded first) on the v6 community endpoints; one
picture only, so several characters go as a cast sheet and the metadata says so; LoRAs join
the preset's; families without IP-Adapter are refused before any call."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from PIL import Image

from bookbuild.errors import ConfigError
from bookbuild.providers.base import CastNeeds, CharacterRef, ImageRequest
from bookbuild.providers.references import digest
from bookbuild.providers.sdapi.provider import SDAPIProvider
from bookbuild.spec.presets import Lora
from tests.fakes.sdapi_server import FakeClock, FakeSDAPI, fake_sdapi
from tests.helpers.cast import HARE, RED, TORTOISE, cast_request

__all__ = ["fake_sdapi"]


def provider(fake: FakeSDAPI, **fields: Any) -> SDAPIProvider:
    made = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": fake.key})
    clock = FakeClock()
    made.sleep, made.clock = clock.sleep, clock
    return made


def test_one_character_reference_is_uploaded_and_sent_as_ip_adapter_image(
    fake_sdapi: FakeSDAPI,
) -> None:
    result = provider(fake_sdapi, api="v6", model="sd-1.5").run_image(cast_request(HARE))
    body = fake_sdapi.submits[0].body
    assert body["ip_adapter_id"] == "ip-adapter_sd15"
    assert body["ip_adapter_scale"] == 0.7
    assert fake_sdapi.file_bytes(body["ip_adapter_image"]) == RED  # uploaded first, as it is
    assert result.metadata["references"] == [
        {"character": "hare", "via": "ip_adapter_image", "images": [digest(RED)], "weight": 0.7}
    ]
    assert result.metadata["uploads"] == 1
    picture = Image.open(BytesIO(result.png)).convert("RGB")
    assert picture.getpixel((2, 2)) == (220, 30, 30)  # the fake drew with that reference


def test_two_characters_go_as_one_cast_sheet_and_the_metadata_says_so(
    fake_sdapi: FakeSDAPI,
) -> None:
    result = provider(fake_sdapi, api="v6", model="sd-1.5").run_image(cast_request(HARE, TORTOISE))
    (submit,) = fake_sdapi.submits
    sheet = Image.open(BytesIO(fake_sdapi.file_bytes(submit.body["ip_adapter_image"])))
    assert sheet.size == (512 + 384, 512)  # both, side by side, at one height
    assert sheet.convert("RGB").getpixel((10, 10)) == (220, 30, 30)
    assert sheet.convert("RGB").getpixel((600, 10)) == (30, 30, 220)
    assert submit.body["ip_adapter_scale"] == 0.7  # the strongest weight
    assert [r["character"] for r in result.metadata["references"]] == ["hare", "tortoise"]
    assert "cast sheet of hare, tortoise" in result.metadata["reference_notes"][0]


def test_characters_without_pictures_send_no_ip_adapter_fields(fake_sdapi: FakeSDAPI) -> None:
    plain = CharacterRef("owl", "Owl", "a grey owl")
    result = provider(fake_sdapi, api="v6", model="sd-1.5").run_image(cast_request(plain))
    assert not {k for k in fake_sdapi.submits[0].body if k.startswith("ip_adapter")}
    assert "references" not in result.metadata


def test_the_preset_chooses_the_ip_adapter_and_the_fake_refuses_unknown_ones(
    fake_sdapi: FakeSDAPI,
) -> None:
    chosen = provider(fake_sdapi, api="v6", model="sdxl", ip_adapter="ip-adapter-plus_sdxl_vit-h")
    assert (
        chosen.run_image(cast_request(HARE)).metadata["ip_adapter"] == "ip-adapter-plus_sdxl_vit-h"
    )
    with pytest.raises(Exception, match="Invalid ip_adapter_id"):
        provider(fake_sdapi, api="v6", model="m", ip_adapter="ip-adapter-nope").run_image(
            cast_request(HARE)
        )


@pytest.mark.parametrize("fields", [{"api": "v4", "model": "m"}, {"api": "v3"}, {}])
def test_families_without_ip_adapter_are_refused_before_any_call(
    fake_sdapi: FakeSDAPI, fields: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError, match="`api: v6`"):
        provider(fake_sdapi, **fields).run_image(cast_request(HARE))
    assert fake_sdapi.requests == []


def test_character_loras_join_the_presets_loras(fake_sdapi: FakeSDAPI) -> None:
    hare = CharacterRef("hare", "Hare", "a white hare", lora=Lora(model="hare-v2", strength=0.8))
    preset = provider(fake_sdapi, api="v6", model="m", lora={"model": "watercolor"})
    result = preset.run_image(cast_request(hare))
    body = fake_sdapi.submits[0].body
    assert body["lora_model"] == "watercolor,hare-v2"
    assert body["lora_strength"] == "0.7,0.8"
    assert result.metadata["character_loras"] == {"hare": "hare-v2"}


def test_upscale_sends_no_reference(fake_sdapi: FakeSDAPI) -> None:
    up = ImageRequest(step_id="a/b/up", op="upscale", image=RED, characters=(HARE,))
    provider(fake_sdapi, api="v3").run_image(up)
    assert not {k for k in fake_sdapi.submits[0].body if k.startswith("ip_adapter")}


def test_validate_hook_names_what_the_preset_cannot_send(fake_sdapi: FakeSDAPI) -> None:
    needs = CastNeeds(characters=("hare",), references=("hare",), style_reference=True)
    v4 = SDAPIProvider.cast_problems(fake_sdapi.preset(api="v4", model="m"), "txt2img", needs)  # type: ignore[arg-type]
    assert [severity for severity, _ in v4] == ["error", "warning"]
    v6 = SDAPIProvider.cast_problems(fake_sdapi.preset(api="v6", model="m"), "txt2img", needs)  # type: ignore[arg-type]
    assert [severity for severity, _ in v6] == ["warning"]
