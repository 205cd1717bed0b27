"""Character references on an AUTOMATIC1111 / Forge web UI: IP-Adapter through ControlNet.

The sd-webui-controlnet extension (built into Forge) runs IP-Adapter as a ControlNet unit of
`alwayson_scripts.controlnet.args` whose `module` is an IP-Adapter preprocessor (a CLIP vision
encoder: `ip-adapter_clip_sd15`, `ip-adapter_clip_sdxl`, `ip-adapter_clip_sdxl_plus_vith`, or
`ip-adapter-auto`) and whose `model` is an IP-Adapter model listed by `/controlnet/model_list`
(e.g. `ip-adapter-plus_sd15 [836b5c2e]`). One unit per character, each with that character's
reference and weight; the server's unit count (`/controlnet/settings`) must hold them all, or
the extension would silently ignore the extra units. Everything is checked against what the
server lists before the picture is asked for, with what to install when it is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.a1111.bodies import controlnet_unit
from bookbuild.providers.a1111.client import NAME, A1111Client
from bookbuild.providers.a1111.options import A1111Options
from bookbuild.providers.base import CastNeeds, CastProblem, CharacterRef, ImageRequest
from bookbuild.providers.references import (
    Sent,
    first_only_notes,
    references_metadata,
    with_references,
)

INSTALL = (
    "install sd-webui-controlnet (Forge has it built in) and put an IP-Adapter model such as "
    "ip-adapter-plus_sd15.safetensors (h94/IP-Adapter on Hugging Face) in its models folder "
    "(models/ControlNet), then restart the web UI; or name one with `ip_adapter_model`"
)
DEFAULT_UNITS = 3
"""The extension's default "Multi-ControlNet: ControlNet unit number"."""


@dataclass(frozen=True)
class IPAdapter:
    """The preprocessor and model an IP-Adapter unit uses on this server."""

    module: str
    model: str


def pick(options: A1111Options, modules: Sequence[str], models: Sequence[str]) -> IPAdapter:
    """The IP-Adapter module and model: the preset's (checked against the lists), else the
    first installed IP-Adapter model of the checkpoint's base (SD 1.5 or SDXL) and the CLIP
    encoder it was trained with."""
    model = _model(options, models)
    module = options.ip_adapter_module or _module_for(model, modules)
    if module not in modules:
        raise ProviderError(
            f"the ControlNet extension has no IP-Adapter preprocessor `{module}`; it has: "
            f"{', '.join(m for m in modules if 'ip-adapter' in m) or 'none'} (update "
            "sd-webui-controlnet to 1.1.4 or later, or set `ip_adapter_module`)",
            provider=NAME,
        )
    return IPAdapter(module, model)


def _model(options: A1111Options, models: Sequence[str]) -> str:
    if options.ip_adapter_model:
        wanted = options.ip_adapter_model
        for name in models:
            if wanted in (name, name.split(" [")[0]):
                return name
        raise ProviderError(
            f"the ControlNet extension has no model `{wanted}`; its IP-Adapter models: "
            f"{', '.join(_ip_models(models)) or 'none'}",
            provider=NAME,
        )
    xl = "xl" in (options.model or "").lower()
    candidates = [m for m in _ip_models(models) if ("sdxl" in m.lower()) == xl]
    candidates.sort(key=lambda m: ("plus_" not in m, "face" in m))  # plain "plus" first
    if not candidates:
        base = "SDXL" if xl else "SD 1.5"
        raise ProviderError(
            f"character references need an IP-Adapter model for {base} on the web UI: {INSTALL}",
            provider=NAME,
        )
    return candidates[0]


def _ip_models(models: Sequence[str]) -> list[str]:
    return [m for m in models if "ip-adapter" in m.lower() and "faceid" not in m.lower()]


def _module_for(model: str, modules: Sequence[str]) -> str:
    """The CLIP encoder a model was trained with (the extension's own pairing)."""
    name = model.lower()
    wanted = "ip-adapter_clip_sd15"
    if "sdxl" in name:
        wanted = "ip-adapter_clip_sdxl_plus_vith" if "vit-h" in name else "ip-adapter_clip_sdxl"
    if wanted not in modules and "ip-adapter-auto" in modules:
        return "ip-adapter-auto"
    return wanted


def unit_count(client: A1111Client) -> int:
    """How many ControlNet units the server runs per picture (`/controlnet/settings`)."""
    try:
        answer = client.get("/controlnet/settings")
    except ProviderError as err:
        if err.status != 404:
            raise
        return DEFAULT_UNITS
    count = answer.get("control_net_unit_count") if isinstance(answer, dict) else None
    return int(count) if isinstance(count, int) and count > 0 else DEFAULT_UNITS


def check_room(characters: Sequence[CharacterRef], other_units: int, count: int) -> None:
    """Refuse a picture with more units than the server runs (it would drop the rest)."""
    needed = len(characters) + other_units
    if needed > count:
        ids = ", ".join(c.id for c in characters)
        raise ProviderError(
            f"this picture needs {needed} ControlNet units (IP-Adapter for {ids}"
            f"{' and its control map' if other_units else ''}) but the web UI runs {count}: "
            "raise Settings > ControlNet > 'Multi-ControlNet: ControlNet unit number' and "
            "restart it",
            provider=NAME,
        )


def units(characters: Sequence[CharacterRef], adapter: IPAdapter) -> list[dict[str, Any]]:
    """One IP-Adapter unit per character: its first reference, at its weight (0..2)."""
    made = []
    for character in characters:
        unit = controlnet_unit(
            character.images[0], adapter.module, adapter.model, _weight(character)
        )
        unit["pixel_perfect"] = False  # a reference, not a map of the picture
        made.append(unit)
    return made


def metadata(characters: Sequence[CharacterRef], adapter: IPAdapter) -> dict[str, Any]:
    sent = [
        Sent(c.id, "controlnet unit (IP-Adapter)", (c.images[0],), _weight(c)) for c in characters
    ]
    info = references_metadata(sent, first_only_notes(characters))
    return {**info, "ip_adapter_module": adapter.module, "ip_adapter_model": adapter.model}


def referenced(request: ImageRequest) -> tuple[CharacterRef, ...]:
    return with_references(request)


def _weight(character: CharacterRef) -> float:
    return round(min(2.0, max(0.0, character.weight)), 3)


def check_applied(info: dict[str, Any], sent: dict[str, Any]) -> None:
    """Refuse a picture the extension drew without some of the IP-Adapter units it was sent:
    errors inside a script are only logged, but each unit it applies is in the infotext."""
    extra = info.get("extra_generation_params")
    if not isinstance(extra, dict):
        return  # a server that reports nothing: nothing to check against
    applied = sum(
        1
        for key, value in extra.items()
        if key.startswith("ControlNet") and "ip-adapter" in str(value)
    )
    wanted = len(sent.get("references", []))
    if applied < wanted:
        raise ProviderError(
            f"the web UI applied {applied} of the {wanted} IP-Adapter units it was sent (the "
            "ControlNet extension logs why in the web UI's console, e.g. a missing CLIP vision "
            "model); the picture is not kept",
            provider=NAME,
        )


def cast_problems(needs: CastNeeds) -> list[CastProblem]:
    """What validate can say without the server: the style reference is not sent."""
    if needs.style_reference:
        return [
            (
                "warning",
                "the web UI's IP-Adapter units are the characters': `style.art.reference` is not "
                "sent (its description is in the prompt)",
            )
        ]
    return []
