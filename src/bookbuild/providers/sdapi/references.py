"""Character references on the Stable Diffusion API (ModelsLab): IP-Adapter.

ModelsLab's v6 community endpoints (`/api/v6/images/text2img`, `/img2img`, `/inpaint`) take one
reference picture: `ip_adapter_id` (which IP-Adapter), `ip_adapter_scale` (0..1) and
`ip_adapter_image` (a URL, so the picture is uploaded first through the same upload path as an
init image). One picture only: a picture with several characters sends a cast sheet of their
first references side by side, and the result's metadata says so. Per-character LoRAs join the
preset's in `lora_model` / `lora_strength` (any community family).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bookbuild.errors import ConfigError
from bookbuild.providers.base import CastNeeds, CastProblem, ImageRequest
from bookbuild.providers.references import (
    Sent,
    loras_metadata,
    references_metadata,
    sheet_notes,
    sheet_of,
    with_references,
)
from bookbuild.providers.sdapi.options import SDAPIOptions
from bookbuild.providers.sdapi.paths import COMMUNITY, resolve_family

IP_ADAPTERS = (
    "ip-adapter_sd15",
    "ip-adapter-plus-face_sd15",
    "ip-adapter_sdxl",
    "ip-adapter-plus_sdxl_vit-h",
    "ip-adapter-plus-face_sdxl_vit-h",
)
"""The `ip_adapter_id` values ModelsLab documents (v6 community openapi)."""

REFERENCE_OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint"})
"""Ops that go to a v6 generation endpoint (outpaint is an inpaint of the padded canvas)."""


def ip_adapter_id(preset: SDAPIOptions) -> str:
    """The preset's `ip_adapter`, else the plain one of the model's base (SDXL by its name)."""
    if preset.ip_adapter:
        return preset.ip_adapter
    return "ip-adapter_sdxl" if "xl" in (preset.model or "").lower() else "ip-adapter_sd15"


def reference_problem(preset: SDAPIOptions, op: str) -> str | None:
    """Why this preset cannot send reference pictures for `op`; None when it can."""
    try:
        family = resolve_family(preset)
    except ConfigError:
        return None  # reported by preset_problems
    if family != "v6":
        return (
            "character references need `api: v6` and a community `model` (ModelsLab takes "
            "`ip_adapter_image` on /api/v6/images/* only); or remove the `reference:`, and the "
            "character relies on its description"
        )
    if op not in REFERENCE_OPS:
        return f"ModelsLab's {op} endpoint takes no IP-Adapter reference; use txt2img or img2img"
    return None


def cast_problems(preset: SDAPIOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
    problems: list[CastProblem] = []
    if needs.references:
        problem = reference_problem(preset, op)
        if problem is not None:
            problems.append(("error", problem))
    if needs.loras:
        try:
            community = resolve_family(preset) in COMMUNITY
        except ConfigError:
            community = True
        if not community:
            problems.append(("error", "a character's `lora` needs a community `model` (api v6)"))
    if needs.style_reference:
        problems.append(
            (
                "warning",
                "ModelsLab takes one reference picture, used for the characters; "
                "`style.art.reference` is not sent (the style's description is)",
            )
        )
    return problems


def check_references(preset: SDAPIOptions, request: ImageRequest) -> None:
    """ConfigError before any upload or submit when the request's references cannot be sent."""
    if not with_references(request):
        return
    problem = reference_problem(preset, request.op)
    if problem is not None:
        raise ConfigError(f"sdapi: {request.step_id}: {problem}")


Upload = Callable[[bytes], tuple[str, bool]]
"""Upload a picture: (its URL, whether it was uploaded now rather than known already)."""


def reference_fields(
    preset: SDAPIOptions, request: ImageRequest, upload: Upload
) -> tuple[dict[str, Any], int]:
    """The body fields of the request's references, and the uploads made for them."""
    characters = with_references(request)
    if not characters or request.op not in REFERENCE_OPS:
        return {}, 0
    url, fresh = upload(sheet_of(characters))
    fields = {
        "ip_adapter_id": ip_adapter_id(preset),
        "ip_adapter_scale": _scale(request),
        "ip_adapter_image": url,
    }
    return fields, int(fresh)


def reference_metadata(preset: SDAPIOptions, request: ImageRequest) -> dict[str, Any]:
    """What `reference_fields` sends, for the result's metadata (also for a resumed job)."""
    characters = with_references(request)
    info = loras_metadata(request)
    if not characters or request.op not in REFERENCE_OPS:
        return info
    notes = sheet_notes(characters)
    scale = _scale(request)
    sent = [Sent(c.id, "ip_adapter_image", (c.images[0],), scale) for c in characters]
    return {**info, **references_metadata(sent, notes), "ip_adapter": ip_adapter_id(preset)}


def _scale(request: ImageRequest) -> float:
    """One `ip_adapter_scale` for the picture: the strongest of its characters' weights."""
    weight = max(character.weight for character in with_references(request))
    return round(min(1.0, max(0.0, weight)), 3)
