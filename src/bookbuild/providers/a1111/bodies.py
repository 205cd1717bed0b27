"""The JSON bodies the web UI's API takes (`modules/api/models.py`), one builder per endpoint.

Every generation parameter is sent explicitly (the API's defaults differ from the UI's: 50
steps, "fill" for masked content), the checkpoint goes in `override_settings` for this request
only (restored afterwards, so the server's global model never changes), LoRAs are added to the
prompt in the web UI's `<lora:name:weight>` syntax, and pictures travel as bare base64 PNG.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

INPAINTING_FILL = {"fill": 0, "original": 1, "latent noise": 2, "latent nothing": 3}
"""`inpainting_fill` ("Masked content" in the UI) by name."""


@dataclass(frozen=True)
class Generation:
    """The settings of one txt2img/img2img call, resolved from the preset and the step."""

    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    steps: int
    cfg_scale: float
    sampler: str
    scheduler: str | None
    checkpoint: str | None  # the server's title of the checkpoint, or None for the loaded one
    loras: Sequence[tuple[str, float]] = ()


@dataclass(frozen=True)
class Inpainting:
    """How masked pixels are repainted (the UI's "Inpaint" settings)."""

    fill: str = "original"
    full_res: bool = True
    padding: int = 32
    mask_blur: int = 4


def b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def prompt_with_loras(prompt: str, loras: Sequence[tuple[str, float]]) -> str:
    tags = " ".join(f"<lora:{name}:{weight:g}>" for name, weight in loras)
    return f"{prompt} {tags}".strip() if tags else prompt


def txt2img_body(gen: Generation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": prompt_with_loras(gen.prompt, gen.loras),
        "negative_prompt": gen.negative_prompt,
        "seed": gen.seed,
        "subseed": -1,
        "subseed_strength": 0,
        "width": gen.width,
        "height": gen.height,
        "steps": gen.steps,
        "cfg_scale": gen.cfg_scale,
        "sampler_name": gen.sampler,
        "batch_size": 1,
        "n_iter": 1,
        "restore_faces": False,
        "tiling": False,
        "override_settings": {},
        "override_settings_restore_afterwards": True,
        "send_images": True,
        "save_images": False,
    }
    if gen.scheduler:
        body["scheduler"] = gen.scheduler
    if gen.checkpoint:
        body["override_settings"]["sd_model_checkpoint"] = gen.checkpoint
    return body


def img2img_body(gen: Generation, image: bytes, strength: float) -> dict[str, Any]:
    return {
        **txt2img_body(gen),
        "init_images": [b64(image)],
        "denoising_strength": strength,
        "resize_mode": 0,
        "include_init_images": False,
    }


def inpaint_body(
    gen: Generation, image: bytes, mask: bytes, strength: float, how: Inpainting
) -> dict[str, Any]:
    """img2img with a mask: an 8-bit greyscale PNG, white = repaint (never RGBA, whose alpha
    the web UI would take for the mask)."""
    return {
        **img2img_body(gen, image, strength),
        "mask": b64(mask),
        "mask_blur": how.mask_blur,
        "mask_blur_x": how.mask_blur,
        "mask_blur_y": how.mask_blur,
        "inpainting_fill": INPAINTING_FILL[how.fill],
        "inpaint_full_res": how.full_res,
        "inpaint_full_res_padding": how.padding,
        "inpainting_mask_invert": 0,
    }


def controlnet_unit(image: bytes, module: str, model: str, weight: float) -> dict[str, Any]:
    """One unit of the ControlNet extension's `alwayson_scripts` args."""
    return {
        "enabled": True,
        "image": b64(image),
        "module": module,
        "model": model,
        "weight": weight,
        "resize_mode": "Crop and Resize",
        "control_mode": "Balanced",
        "pixel_perfect": True,
        "guidance_start": 0.0,
        "guidance_end": 1.0,
    }


def controlnet_body(gen: Generation, unit: dict[str, Any]) -> dict[str, Any]:
    return {**txt2img_body(gen), "alwayson_scripts": {"controlnet": {"args": [unit]}}}


def upscale_body(image: bytes, upscaler: str, scale: float) -> dict[str, Any]:
    """`/sdapi/v1/extra-single-image`: resize by `scale` with a named upscaler."""
    return {
        "image": b64(image),
        "resize_mode": 0,
        "upscaling_resize": scale,
        "upscaler_1": upscaler,
        "upscaler_2": "None",
        "extras_upscaler_2_visibility": 0,
        "gfpgan_visibility": 0,
        "codeformer_visibility": 0,
        "show_extras_results": True,
    }


def rembg_body(image: bytes, model: str) -> dict[str, Any]:
    """`/rembg` of the stable-diffusion-webui-rembg extension."""
    return {"input_image": b64(image), "model": model, "return_mask": False, "alpha_matting": False}


def multiple_of_8(size: tuple[int, int]) -> tuple[int, int]:
    return tuple(max(64, -(-side // 8) * 8) for side in size)  # type: ignore[return-value]


ONLY_MASKED_SIDE = 512
"""The longer side an "Only masked" crop is painted at when it is smaller (the model's working
size; the web UI's own default is 512 x 512), never more than the whole picture's."""


def only_masked_size(mask: Image.Image, padding: int) -> tuple[int, int]:
    """The size to send with `inpaint_full_res`: the web UI cuts out the mask's bounding box
    plus `padding`, grows it to the aspect of width x height and paints it AT width x height.
    Sending the whole picture's size would paint a small crop at, say, 2048 x 1536: slow, and
    beyond what the model was trained for. So: the crop's own shape, its longer side brought up
    to ONLY_MASKED_SIDE (not beyond the picture's), in multiples of 8."""
    box = mask.getbbox()
    if box is None:
        return multiple_of_8(mask.size)
    x1, y1, x2, y2 = box
    width = min(x2 + padding, mask.width) - max(x1 - padding, 0)
    height = min(y2 + padding, mask.height) - max(y1 - padding, 0)
    longest = max(width, height)
    target = max(longest, min(ONLY_MASKED_SIDE, max(mask.size)))
    scale = target / longest
    return multiple_of_8((round(width * scale), round(height * scale)))
