"""Filling the author's own workflow for one request: the values bookbuild knows, and the
request's pictures uploaded (the mask as the picture's alpha, for LoadImage's MASK)."""

from __future__ import annotations

from typing import Any

from bookbuild.providers.base import ImageRequest
from bookbuild.providers.comfyui import pictures
from bookbuild.providers.comfyui.client import ComfyUIClient
from bookbuild.providers.comfyui.options import ComfyUIOptions
from bookbuild.providers.comfyui.workflow import IMAGE_INPUTS


def request_values(request: ImageRequest, options: ComfyUIOptions) -> dict[str, Any]:
    values: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or options.negative_prompt or "",
        "seed": request.seed,
        "width": request.width,
        "height": request.height,
        "steps": options.steps,
        "cfg": options.cfg,
    }
    strength = options.denoise or request.strength
    if strength is not None:
        values["strength"] = float(strength)
    if "scale" in request.params:
        values["scale"] = request.params["scale"]
    return values


def upload_images(request: ImageRequest, client: ComfyUIClient) -> dict[str, str]:
    """Upload the request's pictures; their names by input (`mask`: the picture with the
    mask as its alpha, for LoadImage's MASK output)."""
    names: dict[str, str] = {}
    if request.image is not None:
        image = pictures.as_rgb_png(request.image, f"{request.step_id} input")
        names["image"] = client.upload(pictures.upload_name("image", image), image)
        if request.mask is not None:
            alpha = pictures.alpha_mask(request.mask)
            name = pictures.upload_name("masked", image, alpha)
            names["mask"] = client.upload(name, alpha, mask_of=names["image"])
    if request.control_image is not None:
        control = pictures.as_rgb_png(request.control_image, f"{request.step_id} reference")
        names["control_image"] = client.upload(pictures.upload_name("control", control), control)
    return {k: v for k, v in names.items() if k in IMAGE_INPUTS}
