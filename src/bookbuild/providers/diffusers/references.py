"""Character references and LoRAs in the `diffusers` provider.

References go through diffusers' IP-Adapter support: `pipe.load_ip_adapter(model, subfolder=,
weight_name=)` once per character shown (the same adapter loaded N times, so each character
has its own scale), `pipe.set_ip_adapter_scale([w1, w2...])`, and the call's
`ip_adapter_image=[picture of 1, picture of 2...]` in prompt order. The adapters live in the
UNet, which the preset's pipelines share, so they are loaded for the pipeline that runs the
step and unloaded again before a step that shows fewer, other, or no characters.

A character's LoRA is loaded once (`load_lora_weights`, adapter name `cast-<id>`) and made
active with the preset's own LoRAs (`set_adapters`) only for the pictures that show it.
"""

from __future__ import annotations

from typing import Any

from bookbuild.errors import ConfigError
from bookbuild.media.images import decode_image
from bookbuild.providers.base import CastNeeds, CastProblem, CharacterRef, ImageRequest
from bookbuild.providers.diffusers.loading import (
    PROVIDER,
    check_installed,
    load_failed,
    load_kwargs,
    resolve_model,
)
from bookbuild.providers.diffusers.options import DiffusersOptions
from bookbuild.providers.diffusers.pipelines import Pipelines
from bookbuild.providers.references import (
    Sent,
    first_only_notes,
    references_metadata,
    with_references,
)

NEEDS_ADAPTER = (
    "character references need `ip_adapter:` on the diffusers preset, e.g. "
    "{model: h94/IP-Adapter, subfolder: models, weight_name: ip-adapter_sd15.safetensors}"
)


def cast_problems(preset: DiffusersOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
    problems: list[CastProblem] = []
    if needs.references and preset.ip_adapter is None and op != "upscale":
        problems.append(("error", NEEDS_ADAPTER))
    if needs.style_reference:
        problems.append(
            (
                "warning",
                "diffusers sends `style.art.reference` nowhere (the IP-Adapters are the "
                "characters'); the style's description is in the prompt",
            )
        )
    return problems


def call_inputs(
    pipes: Pipelines, role: str, settings: DiffusersOptions, request: ImageRequest
) -> dict[str, Any]:
    """The IP-Adapter arguments of one call (loading or unloading adapters as needed)."""
    characters = () if role == "upscale" else with_references(request)
    use_adapters(pipes, role, settings, characters)
    use_loras(pipes, role, settings, request)
    if not characters:
        return {}
    images = [
        decode_image(c.images[0], what=f"{c.id}'s reference").convert("RGB") for c in characters
    ]
    return {"ip_adapter_image": images}


def use_adapters(
    pipes: Pipelines, role: str, settings: DiffusersOptions, characters: tuple[CharacterRef, ...]
) -> None:
    wanted = (role, len(characters)) if characters else None
    if pipes.ip_loaded is not None and pipes.ip_loaded != wanted:
        pipes.get(pipes.ip_loaded[0]).unload_ip_adapter()
        pipes.ip_loaded = None
    if not characters:
        return
    if settings.ip_adapter is None:
        raise ConfigError(f"{PROVIDER}: {NEEDS_ADAPTER}")
    pipe = pipes.get(role)
    if pipes.ip_loaded is None:
        adapter = settings.ip_adapter
        ref = resolve_model(adapter.model)
        kwargs = {k: v for k, v in load_kwargs(ref, pipes.env).items() if k != "use_safetensors"}
        count = len(characters)
        try:
            pipe.load_ip_adapter(
                [ref.where] * count,
                subfolder=[adapter.subfolder] * count,
                weight_name=[adapter.weight_name] * count,
                image_encoder_folder=adapter.image_encoder_folder,
                **kwargs,
            )
        except (OSError, ValueError) as exc:
            raise load_failed(ref, exc) from exc
        pipes.ip_loaded = (role, count)
    pipe.set_ip_adapter_scale([weight(c) for c in characters])


def use_loras(
    pipes: Pipelines, role: str, settings: DiffusersOptions, request: ImageRequest
) -> None:
    """The preset's LoRAs and those of the characters shown, active for this call."""
    cast = [c for c in request.characters if c.lora is not None] if role != "upscale" else []
    if not cast and not pipes.cast_loras:
        return  # the preset's own LoRAs are set when its pipeline is loaded
    pipe = pipes.get(role)
    if cast:
        check_installed(lora=True)  # peft
    for character in cast:
        name = f"cast-{character.id}"
        if name in pipes.cast_loras:
            continue
        assert character.lora is not None
        ref = resolve_model(character.lora.model)
        extra: dict[str, Any] = {"adapter_name": name}
        if ref.folder is None:
            extra.update(
                {k: v for k, v in load_kwargs(ref, pipes.env).items() if k != "use_safetensors"}
            )
        try:
            pipe.load_lora_weights(ref.where, **extra)
        except (OSError, ValueError) as exc:
            raise load_failed(ref, exc) from exc
        pipes.cast_loras.add(name)
    own = settings.loras()
    names = [f"lora{n}" for n in range(1, len(own) + 1)] + [f"cast-{c.id}" for c in cast]
    weights = [lora.strength for lora in own] + [c.lora.strength for c in cast if c.lora]
    if names:
        pipe.set_adapters(names, adapter_weights=weights)
    else:
        pipe.disable_lora()
        return
    pipe.enable_lora()


def metadata(settings: DiffusersOptions, request: ImageRequest) -> dict[str, Any]:
    characters = with_references(request) if request.op != "upscale" else ()
    info: dict[str, Any] = {}
    if characters and settings.ip_adapter is not None:
        sent = [
            Sent(c.id, f"ip_adapter_image[{n}]", (c.images[0],), weight(c))
            for n, c in enumerate(characters)
        ]
        info.update(references_metadata(sent, first_only_notes(characters)))
        info["ip_adapter"] = f"{settings.ip_adapter.model}/{settings.ip_adapter.weight_name}"
    loras = {c.id: c.lora.model for c in request.characters if c.lora is not None}
    if loras and request.op != "upscale":
        info["character_loras"] = loras
    return info


def weight(character: CharacterRef) -> float:
    return round(max(0.0, character.weight), 3)
