"""Issue 17: character references on ComfyUI. The built-in graphs get ComfyUI_IPAdapter_plus
nodes (one IPAdapterUnifiedLoader, one IPAdapterAdvanced per character, each with its own
LoadImage of the uploaded reference) when /object_info has them; a server without them, or
without their models, is refused before anything is uploaded; an author's workflow receives
the references as input pictures by role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.providers.base import CharacterRef
from bookbuild.providers.comfyui import ComfyUIOptions
from bookbuild.providers.comfyui.provider import ComfyUIProvider
from bookbuild.providers.references import digest
from bookbuild.spec.presets import Lora
from tests.fakes.comfyui_server import FakeComfyUI
from tests.fakes.sdapi_drawing import png
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

from .conftest import provider_for
from .test_comfyui_workflow import WORKFLOW


def test_two_characters_get_an_ip_adapter_each_with_their_own_picture(
    fake_comfyui: FakeComfyUI,
) -> None:
    result = provider_for(fake_comfyui).run_image(
        cast_request(HARE, TORTOISE, width=256, height=256)
    )
    (sent,) = fake_comfyui.prompts()
    graph = sent["prompt"]
    assert graph["ipadapter"]["class_type"] == "IPAdapterUnifiedLoader"
    assert graph["ipadapter"]["inputs"]["preset"] == "PLUS (high strength)"
    assert graph["ipadapter-1"]["inputs"]["model"] == ["ipadapter", 0]
    assert graph["ipadapter-2"]["inputs"]["model"] == ["ipadapter-1", 0]
    assert graph["sampler"]["inputs"]["model"] == ["ipadapter-2", 0]
    hare_file = graph["reference-1"]["inputs"]["image"]
    tortoise_file = graph["reference-2"]["inputs"]["image"]
    assert fake_comfyui.input_file(hare_file).convert("RGB").getpixel((1, 1)) == HARE_RGB
    assert fake_comfyui.input_file(tortoise_file).convert("RGB").getpixel((1, 1)) == TORTOISE_RGB
    assert (graph["ipadapter-1"]["inputs"]["weight"], graph["ipadapter-2"]["inputs"]["weight"]) == (
        0.7,
        0.5,
    )
    assert [r["images"] for r in result.metadata["references"]] == [[digest(RED)], [digest(BLUE)]]
    drawn = picture(result.png)  # the fake's sampler shows each adapter's picture along the top
    assert drawn.getpixel((2, 2)) == HARE_RGB and drawn.getpixel((66, 2)) == TORTOISE_RGB


def test_img2img_chains_the_adapters_too(fake_comfyui: FakeComfyUI) -> None:
    request = cast_request(
        HARE, op="img2img", image=png((64, 64)), strength=0.6, width=64, height=64
    )
    provider_for(fake_comfyui).run_image(request)
    graph = fake_comfyui.prompts()[0]["prompt"]
    assert graph["sampler"]["inputs"]["model"] == ["ipadapter-1", 0]


def test_a_server_without_the_ip_adapter_nodes_is_refused_before_any_upload() -> None:
    with FakeComfyUI(ipadapter=False) as fake:
        with pytest.raises(ProviderError, match="install ComfyUI_IPAdapter_plus"):
            provider_for(fake).run_image(cast_request(HARE))
        assert fake.count("upload") == 0 and fake.count("prompt") == 0


@pytest.mark.parametrize("kind", ["ipadapter", "clip_vision"])
def test_a_server_without_the_ip_adapter_models_is_refused_before_any_upload(kind: str) -> None:
    with FakeComfyUI() as fake:
        fake.models[kind] = []
        with pytest.raises(ProviderError, match=f"no file in models/{kind}"):
            provider_for(fake).run_image(cast_request(HARE))
        assert fake.count("upload") == 0 and fake.count("prompt") == 0


def test_an_unknown_preset_is_refused_with_the_servers_presets(fake_comfyui: FakeComfyUI) -> None:
    with pytest.raises(ProviderError, match="PLUS FACE"):
        provider_for(fake_comfyui, ip_adapter_preset="SUPER").run_image(cast_request(HARE))
    assert fake_comfyui.count("prompt") == 0


def test_character_loras_go_through_lora_loader(fake_comfyui: FakeComfyUI) -> None:
    hare = CharacterRef("hare", "Hare", "a hare", lora=Lora(model="watercolor.safetensors"))
    result = provider_for(fake_comfyui).run_image(cast_request(hare))
    graph = fake_comfyui.prompts()[0]["prompt"]
    assert graph["lora-1"]["inputs"]["lora_name"] == "watercolor.safetensors"
    assert result.metadata["character_loras"] == {"hare": "watercolor.safetensors"}


FLOW = {
    **WORKFLOW,
    "20": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
    "21": {"class_type": "LoadImage", "inputs": {"image": "placeholder.png"}},
}


def workflow_provider(fake: FakeComfyUI, inputs: dict[str, str]) -> ComfyUIProvider:
    options = ComfyUIOptions.model_validate(
        {
            "provider": "comfyui",
            "base_url": fake.base_url,
            "workflow": "flow.json",
            "inputs": {"prompt": "6.text", **inputs},
        }
    )
    made = ComfyUIProvider(options, {})
    made.sleep = lambda seconds: None
    return made


def workflow_request(**fields: Any) -> Any:
    files = {"workflow": json.dumps(FLOW).encode()}
    return cast_request(HARE, TORTOISE, files=files, **fields)


def test_a_workflow_receives_references_by_role(fake_comfyui: FakeComfyUI) -> None:
    inputs = {"reference.tortoise": "20.image", "reference_1": "21.image"}
    result = workflow_provider(fake_comfyui, inputs).run_image(workflow_request())
    graph = fake_comfyui.prompts()[0]["prompt"]
    tortoise = fake_comfyui.input_file(graph["20"]["inputs"]["image"]).convert("RGB")
    hare = fake_comfyui.input_file(graph["21"]["inputs"]["image"]).convert("RGB")
    assert tortoise.getpixel((1, 1)) == TORTOISE_RGB and hare.getpixel((1, 1)) == HARE_RGB
    assert [r["via"] for r in result.metadata["references"]] == [
        "workflow input reference_1 (21.image)",
        "workflow input reference.tortoise (20.image)",
    ]


def test_a_reference_the_workflow_has_no_role_for_is_named_as_not_sent(
    fake_comfyui: FakeComfyUI,
) -> None:
    inputs = {"reference_1": "21.image", "style_reference": "20.image"}
    result = workflow_provider(fake_comfyui, inputs).run_image(
        workflow_request(style_images=(GREEN,))
    )
    graph = fake_comfyui.prompts()[0]["prompt"]
    style = fake_comfyui.input_file(graph["20"]["inputs"]["image"]).convert("RGB")
    assert style.getpixel((1, 1)) == (30, 200, 40)
    assert result.metadata["reference_notes"] == [
        "tortoise: not sent: the workflow maps no `reference.tortoise` or `reference_2` in "
        "`inputs:`"
    ]


def test_reference_roles_are_accepted_in_inputs_and_others_refused() -> None:
    options = ComfyUIOptions.model_validate(
        {
            "provider": "comfyui",
            "workflow": "flow.json",
            "inputs": {"reference.hare": "20.image", "reference_2": "21.image", "refs": "1.x"},
        }
    )
    problems = ComfyUIProvider.preset_problems(options)
    assert len(problems) == 1 and "`inputs.refs`" in problems[0]


def test_validate_warns_about_references_a_workflow_maps_no_role_for() -> None:
    from bookbuild.providers.base import CastNeeds

    options = ComfyUIOptions.model_validate(
        {"provider": "comfyui", "workflow": "flow.json", "inputs": {"reference.hare": "20.image"}}
    )
    needs = CastNeeds(
        characters=("hare", "tortoise"), references=("hare", "tortoise"), style_reference=True
    )
    problems = ComfyUIProvider.cast_problems(options, "txt2img", needs)
    assert [severity for severity, _ in problems] == ["warning", "warning"]
    assert "reference of tortoise" in problems[0][1] and "style_reference" in problems[1][1]
    built_in = ComfyUIOptions.model_validate({"provider": "comfyui", "checkpoint": "x"})
    assert ComfyUIProvider.cast_problems(built_in, "txt2img", CastNeeds(references=("hare",))) == []
