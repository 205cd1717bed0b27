"""Request bodies for the Stable Diffusion API (ModelsLab), one builder per op.

Bodies never hold the API key: the HTTP layer adds it when sending, so a body can be
inspected or logged safely. Input images arrive here already uploaded, as URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.references import all_loras
from bookbuild.providers.sdapi.options import SDAPIOptions
from bookbuild.providers.sdapi.paths import COMMUNITY, Family, uses_booleans
from bookbuild.spec.presets import Lora


@dataclass(frozen=True)
class Inputs:
    """Uploaded input images (URLs) and the size of the init image."""

    init: str | None = None
    mask: str | None = None
    control: str | None = None
    size: tuple[int, int] | None = None


def build_body(
    op: str, family: Family, path: str, preset: SDAPIOptions, request: ImageRequest, inputs: Inputs
) -> dict[str, Any]:
    """The JSON body (without `key`) of one op."""
    builders = {
        "txt2img": _generation,
        "img2img": _generation,
        "inpaint": _generation,
        "controlnet": _controlnet,
        "outpaint": _generation,  # an inpaint of the padded canvas (media.outpaint)
        "upscale": _upscale,
        "remove_background": _remove_background,
    }
    body = builders[op](_Context(op, family, path, preset, request, inputs))
    return {k: v for k, v in body.items() if v is not None}


@dataclass(frozen=True)
class _Context:
    op: str
    family: Family
    path: str
    preset: SDAPIOptions
    request: ImageRequest
    inputs: Inputs

    def flag(self, value: bool) -> bool | str:
        """A yes/no field as this endpoint wants it."""
        if uses_booleans(self.path):
            return value
        return "yes" if value else "no"

    def negative(self) -> str | None:
        return self.request.negative_prompt or self.preset.negative_prompt or None

    def need(self, url: str | None, what: str) -> str:
        if url is None:
            raise ProviderError(f"{self.op} needs {what}", provider="sdapi")
        return url


def _common(ctx: _Context) -> dict[str, Any]:
    """Fields every generation endpoint shares."""
    request, preset = ctx.request, ctx.preset
    return {
        "prompt": request.prompt,
        "negative_prompt": ctx.negative(),
        "width": request.width,
        "height": request.height,
        "samples": 1,
        "seed": request.seed,
        "safety_checker": ctx.flag(preset.safety_checker),
        "enhance_prompt": ctx.flag(preset.enhance_prompt),
        "base64": ctx.flag(False),
        "num_inference_steps": preset.steps,
        "guidance_scale": preset.guidance,
    }


def _community(ctx: _Context) -> dict[str, Any]:
    """model_id, scheduler, LoRA and embeddings: community-model fields."""
    preset = ctx.preset
    names, strengths = _lora_fields(all_loras(preset.lora, ctx.request))
    return {
        "model_id": preset.model,
        "scheduler": preset.scheduler,
        "lora_model": names,
        "lora_strength": strengths,
        "embeddings_model": preset.embeddings,
    }


def _generation(ctx: _Context) -> dict[str, Any]:
    body = _common(ctx)
    if ctx.family in COMMUNITY:
        body.update(_community(ctx))
    elif ctx.family == "v3":
        body["embeddings_model"] = ctx.preset.embeddings
    if ctx.family == "realtime":
        for unsupported in ("num_inference_steps", "guidance_scale"):
            body.pop(unsupported)
        body["instant_response"] = True  # queue and answer at once: an id to journal
    elif ctx.op in ("inpaint", "outpaint"):
        body["steps"] = ctx.preset.steps  # the inpaint docs name `steps`
    if ctx.op in ("img2img", "inpaint", "outpaint"):
        body["init_image"] = ctx.need(ctx.inputs.init, "an input image")
        body["strength"] = ctx.request.strength
    if ctx.op in ("inpaint", "outpaint"):
        body["mask_image"] = ctx.need(ctx.inputs.mask, "a mask")
        if ctx.inputs.size is not None:  # inpainting keeps the picture's size
            body["width"], body["height"] = ctx.inputs.size
    if ctx.op == "outpaint" and body["strength"] is None:
        body["strength"] = 1.0  # the new area is only a mirrored pre-fill: repaint it fully
    return body


def _controlnet(ctx: _Context) -> dict[str, Any]:
    """ControlNet: the reference is the init image; with auto_hint the service derives the
    control map (edges, depth...) from it. `strength` 1.0 keeps its structure, not its colours.
    The type and conditioning scale come from params `controlnet: {type, strength}` (the plan's
    shape) or from top-level params `type`/`controlnet_type` and `conditioning_scale`."""
    nested = ctx.request.params.get("controlnet")
    params = {**ctx.request.params, **(nested if isinstance(nested, Mapping) else {})}
    kind = str(_param(params, "type", "controlnet_type") or "canny")
    body = _common(ctx)
    body.update(_community(ctx))
    control = ctx.need(ctx.inputs.control or ctx.inputs.init, "a reference image")
    body.update(
        {
            "init_image": ctx.inputs.init or control,
            "control_image": control,
            "controlnet_model": kind,
            "controlnet_type": kind,
            "controlnet_conditioning_scale": _param(
                params, "strength", "conditioning_scale", default=1.0
            ),
            "auto_hint": ctx.flag(bool(params.get("auto_hint", True))),
            "guess_mode": ctx.flag(False),
            "strength": ctx.request.strength if ctx.request.strength is not None else 1.0,
        }
    )
    return body


def _upscale(ctx: _Context) -> dict[str, Any]:
    image = ctx.need(ctx.inputs.init, "an input image")
    field = "url" if ctx.family in ("v3", "v4") else "init_image"
    return {
        field: image,
        "scale": int(ctx.request.params.get("scale", 2)),
        "model_id": ctx.preset.upscale_model,
        "face_enhance": False,
    }


def _remove_background(ctx: _Context) -> dict[str, Any]:
    return {
        "image": ctx.need(ctx.inputs.init, "an input image"),
        "only_mask": ctx.flag(False),
        "alpha_matting": ctx.flag(False),
        "post_process_mask": ctx.flag(False),
        "inverse_mask": ctx.flag(False),
        "base64": ctx.flag(False),
    }


def _lora_fields(lora: Lora | list[Lora] | None) -> tuple[str | None, str | None]:
    """LoRA ids and strengths, comma-joined, as the service wants them."""
    if lora is None:
        return None, None
    loras = lora if isinstance(lora, list) else [lora]
    if not loras:
        return None, None
    names = ",".join(item.model for item in loras)
    strengths = ",".join(f"{item.strength:g}" for item in loras)
    return names, strengths


def _param(params: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if params.get(name) is not None:
            return params[name]
    return default
