"""One image op on the preset's pipelines: the call's arguments, a seeded CPU generator (the same
step gives the same picture on the same machine, whatever the device), and the result brought
back to the exact size asked for. Inpaint and outpaint keep the original's pixels exactly where
the mask is black; outpaint is an inpaint of the picture padded by the shared geometry of
`bookbuild.media.outpaint`."""

from __future__ import annotations

from typing import Any

from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.media.images import decode_image
from bookbuild.media.outpaint import Outpaint, margins_of, prepare, restore
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.diffusers import references
from bookbuild.providers.diffusers.loading import PROVIDER
from bookbuild.providers.diffusers.options import (
    DEFAULT_GUIDANCE,
    DEFAULT_STEPS,
    DiffusersOptions,
)
from bookbuild.providers.diffusers.pipelines import Pipelines

MULTIPLE = 8
"""Stable Diffusion's VAE works on sides that are multiples of 8 pixels."""
MAX_OUTPAINT_SIDE = 2048
"""A larger outpaint canvas is painted scaled down and brought back (see media.outpaint)."""
DEFAULT_STRENGTH = {"img2img": 0.5, "inpaint": 1.0}
UPSCALER = {"steps": 75, "guidance": 9.0, "noise_level": 20}
"""StableDiffusionUpscalePipeline's own defaults (num_inference_steps, guidance_scale,
noise_level): the x4 upscaler is not run with the preset's generation settings."""


def paint(
    pipes: Pipelines, settings: DiffusersOptions, request: ImageRequest
) -> tuple[Image.Image, dict[str, Any]]:
    """The picture `request` asks for, at its exact size, and what was used to make it."""
    if request.op == "upscale":
        return _upscale(pipes, settings, request)
    role = _role(request)
    if request.op == "txt2img":
        image = _call(pipes, role, settings, request, _size(request.width, request.height))
    elif request.op == "controlnet":
        image = _controlnet(pipes, settings, request)
    else:
        source = _input(request.image, request.op, "input image").convert("RGB")
        if request.op == "img2img":
            image = _img2img(pipes, settings, request, source)
        elif request.op == "inpaint":
            mask = _input(request.mask, request.op, "mask").convert("L").resize(source.size)
            image = _inpaint(pipes, settings, request, source, mask, request.strength)
        else:
            image = _outpaint(pipes, settings, request, source)
    used = {**used_parameters(settings, request), "scheduler": pipes.scheduler(role)}
    if role == "inpaint" and settings.inpaint_model:
        used["inpaint_model"] = settings.inpaint_model
    return image, {**used, **references.metadata(settings, request)}


def used_parameters(settings: DiffusersOptions, request: ImageRequest) -> dict[str, Any]:
    """The generation parameters of a diffusion call."""
    info: dict[str, Any] = {
        "seed": request.seed,
        "steps": settings.steps or DEFAULT_STEPS,
        "guidance": settings.guidance if settings.guidance is not None else DEFAULT_GUIDANCE,
    }
    if request.op in DEFAULT_STRENGTH:
        info["strength"] = _strength(request)
    return info


def _role(request: ImageRequest) -> str:
    """Which of the preset's pipelines runs the op."""
    if request.op == "controlnet":
        return "controlnet:" + str(dict(request.params.get("controlnet") or {}).get("type", ""))
    return {"outpaint": "inpaint"}.get(request.op, request.op)


def _upscale(
    pipes: Pipelines, settings: DiffusersOptions, request: ImageRequest
) -> tuple[Image.Image, dict[str, Any]]:
    """`scale` times larger: the x4 upscaler's result brought to the exact size, or Lanczos."""
    source = _input(request.image, request.op, "input image").convert("RGB")
    scale = int(request.params.get("scale", 2))
    target = (source.width * scale, source.height * scale)
    if not settings.upscale_model:
        return source.resize(target, Image.Resampling.LANCZOS), {"upscaler": "lanczos"}
    image = _call(pipes, "upscale", settings, request, target, image=source)
    used = {"seed": request.seed, **UPSCALER}
    meta = {"upscaler": settings.upscale_model, **used, "scheduler": pipes.scheduler("upscale")}
    return image, meta


def _img2img(
    pipes: Pipelines, settings: DiffusersOptions, request: ImageRequest, source: Image.Image
) -> Image.Image:
    size = _size(*source.size)
    image = source.resize(size, Image.Resampling.LANCZOS)
    strength = _strength(request)
    result = _call(pipes, "img2img", settings, request, size, image=image, strength=strength)
    return _exactly(result, source.size)


def _inpaint(
    pipes: Pipelines,
    settings: DiffusersOptions,
    request: ImageRequest,
    source: Image.Image,
    mask: Image.Image,
    strength: float | None,
) -> Image.Image:
    size = _size(*source.size)
    result = _call(
        pipes,
        "inpaint",
        settings,
        request,
        size,
        image=source.resize(size, Image.Resampling.LANCZOS),
        mask_image=mask.resize(size, Image.Resampling.LANCZOS),
        strength=strength if strength is not None else DEFAULT_STRENGTH["inpaint"],
    )
    return Image.composite(_exactly(result, source.size), source, mask)


def _outpaint(
    pipes: Pipelines, settings: DiffusersOptions, request: ImageRequest, source: Image.Image
) -> Image.Image:
    plan: Outpaint = prepare(
        source, request.params, (request.width, request.height), limit=MAX_OUTPAINT_SIDE
    )
    painted = _inpaint(pipes, settings, request, plan.image, plan.mask, 1.0)
    result = restore(painted, plan)
    mask = plan.mask.resize(plan.full, Image.Resampling.LANCZOS).crop((0, 0, *plan.canvas))
    margins = margins_of(request.params, source.size, (request.width, request.height))
    left, up = margins.left, margins.up
    keep = mask.crop((left, up, left + source.width, up + source.height)).point(lambda v: 255 - v)
    result.paste(source, (left, up), keep)
    return result


def _controlnet(pipes: Pipelines, settings: DiffusersOptions, request: ImageRequest) -> Image.Image:
    control = dict(request.params.get("controlnet") or {})
    kind = str(control.get("type", ""))
    if kind not in (settings.controlnet or {}):
        raise ProviderError(
            f"no ControlNet model for type {kind!r}: add it to the preset's `controlnet`",
            provider=PROVIDER,
        )
    size = _size(request.width, request.height)
    reference = _input(request.control_image, "controlnet", "control image").convert("RGB")
    return _call(
        pipes,
        f"controlnet:{kind}",
        settings,
        request,
        size,
        image=reference.resize(size, Image.Resampling.LANCZOS),
        controlnet_conditioning_scale=float(control.get("strength", 1.0)),
    )


def _call(
    pipes: Pipelines,
    role: str,
    settings: DiffusersOptions,
    request: ImageRequest,
    size: tuple[int, int],
    **inputs: Any,
) -> Image.Image:
    import torch

    pipe = pipes.get(role)
    inputs.update(references.call_inputs(pipes, role, settings, request))
    used = used_parameters(settings, request)
    if role == "upscale":  # the x4 upscaler's own settings, not the preset's generation ones
        used = {**used, "steps": UPSCALER["steps"], "guidance": UPSCALER["guidance"]}
        inputs["noise_level"] = UPSCALER["noise_level"]
    negative = request.negative_prompt or settings.negative_prompt or None
    generator = torch.Generator("cpu").manual_seed(request.seed)
    if role not in ("img2img", "upscale"):  # these take their size from the image
        inputs.update(width=size[0], height=size[1])
    try:
        output = pipe(
            prompt=request.prompt,
            negative_prompt=negative,
            num_inference_steps=used["steps"],
            guidance_scale=used["guidance"],
            generator=generator,
            output_type="pil",
            **inputs,
        )
    except (RuntimeError, ValueError) as exc:  # e.g. out of memory, a size the model refuses
        raise ProviderError(f"{role} failed: {exc}", provider=PROVIDER) from exc
    refuse_flagged(output)
    image: Image.Image = output.images[0]
    return _exactly(image, size)


def refuse_flagged(output: Any) -> None:
    """The pipeline's safety checker blacks out a picture it flags and says so in
    `nsfw_content_detected`; such a picture is refused, never stored (as sdapi's is)."""
    flags = getattr(output, "nsfw_content_detected", None)
    if flags and bool(flags[0]):
        raise ProviderError(
            "the model's safety checker flagged this picture and blacked it out "
            "(nsfw_content_detected): change the prompt or the seed, or set "
            "`safety_checker: false` in the preset for a model you trust. Nothing was kept",
            provider=PROVIDER,
        )


def _strength(request: ImageRequest) -> float:
    if request.strength is not None:
        return float(request.strength)
    return DEFAULT_STRENGTH.get(request.op, 1.0)


def _size(width: int, height: int) -> tuple[int, int]:
    """The nearest sides the model takes (multiples of 8, at least 8)."""
    return (
        max(MULTIPLE, round(width / MULTIPLE) * MULTIPLE),
        max(MULTIPLE, round(height / MULTIPLE) * MULTIPLE),
    )


def _exactly(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    image = image.convert("RGB")
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)


def _input(data: bytes | None, op: str, what: str) -> Image.Image:
    if data is None:
        raise ProviderError(f"{op} needs an {what}", provider=PROVIDER)
    return decode_image(data, what=what)
